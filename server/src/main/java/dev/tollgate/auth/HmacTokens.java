package dev.tollgate.auth;

import dev.tollgate.config.Secret;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signed tokens {@code <prefix><base64url(payload)>.<base64url(mac)>}, the MAC being HMAC-SHA256
 * over everything before the last dot. The first key signs; any key verifies, so keys rotate with
 * overlap. Used for on-behalf-of assertions and reservation tickets.
 */
public final class HmacTokens {
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private final String prefix;
  private final int maxLength;
  private final List<KeyMac> keys;

  /**
   * @param prefix the version prefix, ending with a dot ({@code v1.})
   * @param keys HMAC keys: the first signs, any verifies
   * @param maxLength longest token accepted
   */
  public HmacTokens(String prefix, List<Secret> keys, int maxLength) {
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("keys: empty (expected: at least one HMAC key)");
    }
    this.prefix = prefix;
    this.maxLength = maxLength;
    List<KeyMac> specs = new ArrayList<>(keys.size());
    for (Secret k : keys) {
      specs.add(
          new KeyMac(new SecretKeySpec(k.reveal().getBytes(StandardCharsets.UTF_8), "HmacSHA256")));
    }
    this.keys = List.copyOf(specs);
  }

  /** The token for {@code payload}, signed with the first key. */
  public String sign(byte[] payload) {
    String signed = prefix + B64.encodeToString(payload);
    return signed + "." + B64.encodeToString(keys.get(0).mac(signed));
  }

  /**
   * The payload of a token that one of the keys signed.
   *
   * @throws Rejected saying whether it is malformed or its signature does not verify (never echoing
   *     the token)
   */
  public byte[] open(String token) {
    if (token == null || token.length() > maxLength || !token.startsWith(prefix)) {
      throw new Rejected(false);
    }
    int dot = token.lastIndexOf('.');
    if (dot < prefix.length()) {
      throw new Rejected(false);
    }
    String signed = token.substring(0, dot);
    byte[] mac;
    byte[] payload;
    try {
      mac = Base64.getUrlDecoder().decode(token.substring(dot + 1));
      payload = Base64.getUrlDecoder().decode(signed.substring(prefix.length()));
    } catch (IllegalArgumentException e) {
      throw new Rejected(false);
    }
    boolean ok = false;
    for (KeyMac k : keys) {
      ok |= MessageDigest.isEqual(mac, k.mac(signed));
    }
    if (!ok) {
      throw new Rejected(true);
    }
    return payload;
  }

  /**
   * One key and, per thread, a {@link Mac} initialised with it: looking the algorithm up and
   * deriving the key's pads on every call cost more than the MAC of a short token.
   */
  private static final class KeyMac {
    private final ThreadLocal<Mac> macs;

    KeyMac(SecretKeySpec key) {
      this.macs =
          ThreadLocal.withInitial(
              () -> {
                try {
                  Mac mac = Mac.getInstance("HmacSHA256");
                  mac.init(key);
                  return mac;
                } catch (GeneralSecurityException e) {
                  throw new IllegalStateException("HmacSHA256 unavailable", e);
                }
              });
    }

    /** The MAC of {@code data}; {@code doFinal} leaves the thread's {@link Mac} ready again. */
    byte[] mac(String data) {
      return macs.get().doFinal(data.getBytes(StandardCharsets.US_ASCII));
    }
  }

  @Override
  public String toString() {
    return "HmacTokens[" + prefix + ", " + keys.size() + " key(s), ****]";
  }

  /** A token that is malformed, or whose signature no key verifies. */
  public static final class Rejected extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final boolean badSignature;

    Rejected(boolean badSignature) {
      super(badSignature ? "signature does not verify" : "malformed", null, false, false);
      this.badSignature = badSignature;
    }

    /** True when well-formed but signed with no known key; false when malformed. */
    public boolean badSignature() {
      return badSignature;
    }
  }
}
