package dev.tollgate.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.config.Secret;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signed on-behalf-of assertions: {@code v1.<base64url(payload)>.<base64url(hmac)>}, where the
 * payload is JSON {@code {"sub": user, "conv": conversation?, "exp": epochSeconds, "nonce": n}}
 * and the MAC is HMAC-SHA256 over {@code v1.<base64url(payload)>}. Any configured key verifies
 * (two during rotation). The nonce check (once only, cluster-wide) is the caller's, through a
 * {@link NonceStore}.
 */
public final class Assertions {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PREFIX = "v1.";
  private static final int MAX_LENGTH = 4096;
  private final List<Secret> keys;
  private final Duration maxTtl;

  public Assertions(List<Secret> keys, Duration maxTtl) {
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("keys: empty (expected: at least one HMAC key)");
    }
    this.keys = List.copyOf(keys);
    this.maxTtl = maxTtl;
  }

  /**
   * Checks format, signature and expiry.
   *
   * @throws InvalidAssertionException saying what is wrong (never echoing the value)
   */
  public VerifiedAssertion verify(String value, long nowMillis) {
    if (value == null || value.length() > MAX_LENGTH || !value.startsWith(PREFIX)) {
      throw new InvalidAssertionException("on-behalf-of assertion is malformed");
    }
    int dot = value.indexOf('.', PREFIX.length());
    if (dot < 0 || value.indexOf('.', dot + 1) >= 0) {
      throw new InvalidAssertionException("on-behalf-of assertion is malformed");
    }
    String signed = value.substring(0, dot);
    byte[] mac;
    byte[] payloadBytes;
    try {
      mac = Base64.getUrlDecoder().decode(value.substring(dot + 1));
      payloadBytes = Base64.getUrlDecoder().decode(signed.substring(PREFIX.length()));
    } catch (IllegalArgumentException e) {
      throw new InvalidAssertionException("on-behalf-of assertion is malformed");
    }
    boolean ok = false;
    for (Secret key : keys) {
      ok |= MessageDigest.isEqual(mac, hmac(key, signed));
    }
    if (!ok) {
      throw new InvalidAssertionException("on-behalf-of assertion signature does not verify");
    }
    JsonNode p;
    try {
      p = JSON.readTree(payloadBytes);
    } catch (java.io.IOException e) {
      throw new InvalidAssertionException("on-behalf-of assertion payload is not JSON");
    }
    if (p == null || !p.isObject() || !p.path("sub").isTextual() || !p.path("exp").canConvertToLong()
        || !p.path("exp").isIntegralNumber() || !p.path("nonce").isTextual()
        || (p.has("conv") && !p.get("conv").isTextual() && !p.get("conv").isNull())) {
      throw new InvalidAssertionException(
          "on-behalf-of assertion payload needs sub (string), exp (integer), nonce (string)");
    }
    long exp = p.get("exp").asLong();
    long nowSeconds = Math.floorDiv(nowMillis, 1000);
    if (exp <= nowSeconds) {
      throw new InvalidAssertionException("on-behalf-of assertion has expired");
    }
    if (exp > nowSeconds + maxTtl.toSeconds()) {
      throw new InvalidAssertionException(
          "on-behalf-of assertion expires too far ahead (at most " + maxTtl.toSeconds() + " s)");
    }
    String nonce = p.get("nonce").asText();
    if (nonce.isEmpty() || nonce.length() > 128) {
      throw new InvalidAssertionException("on-behalf-of assertion nonce must be 1..128 characters");
    }
    String conv = p.path("conv").isTextual() ? p.get("conv").asText() : null;
    return new VerifiedAssertion(p.get("sub").asText(), conv, exp, nonce);
  }

  /** Creates an assertion (for services that issue them, and for tests). */
  public static String sign(Secret key, String subject, String conversation, long expiresAtSeconds, String nonce) {
    ObjectNode p = JSON.createObjectNode();
    p.put("sub", subject);
    if (conversation != null) {
      p.put("conv", conversation);
    }
    p.put("exp", expiresAtSeconds);
    p.put("nonce", nonce);
    String signed;
    try {
      signed = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(JSON.writeValueAsBytes(p));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    return signed + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(hmac(key, signed));
  }

  private static byte[] hmac(Secret key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key.reveal().getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return mac.doFinal(data.getBytes(StandardCharsets.US_ASCII));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}
