package dev.tollgate.accounting;

import dev.tollgate.config.Secret;
import dev.tollgate.quota.Reservation;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals {@link ReservationTicket}s: {@code t1.<base64url(payload)>.<base64url(mac)>}, the MAC
 * being HMAC-SHA256 over {@code t1.<base64url(payload)>} with the first key. Any of the keys
 * opens a ticket, so keys rotate with overlap: add the new key second, then move it first on
 * every replica, then drop the old one. Every replica of a cluster must hold the same keys.
 */
public final class TicketSeal {
  private static final String PREFIX = "t1.";
  private static final int MAX_LENGTH = 8192;
  private static final int FIELDS = 8;
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private final List<SecretKeySpec> keys;

  /**
   * @param keys HMAC keys: the first seals, any opens
   */
  public TicketSeal(List<Secret> keys) {
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("keys: empty (expected: at least one ticket key)");
    }
    List<SecretKeySpec> specs = new ArrayList<>(keys.size());
    for (Secret k : keys) {
      specs.add(new SecretKeySpec(k.reveal().getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    }
    this.keys = List.copyOf(specs);
  }

  /** The sealed ticket, as it travels in Envoy's dynamic metadata. */
  public String seal(ReservationTicket t) {
    StringBuilder p = new StringBuilder(160);
    field(p, t.user());
    field(p, t.conversation() == null ? "" : t.conversation());
    field(p, t.key());
    field(p, t.tier());
    field(p, t.model());
    field(p, t.api());
    field(p, Long.toString(t.promptTokens()));
    p.append(t.reservation().encode());
    String signed = PREFIX + B64.encodeToString(p.toString().getBytes(StandardCharsets.UTF_8));
    return signed + "." + B64.encodeToString(mac(keys.get(0), signed));
  }

  /**
   * Verifies and reads a sealed ticket.
   *
   * @throws InvalidTicketException if it is malformed or no key verifies it
   */
  public ReservationTicket open(String sealed) {
    if (sealed == null || sealed.length() > MAX_LENGTH || !sealed.startsWith(PREFIX)) {
      throw new InvalidTicketException("ticket is malformed");
    }
    int dot = sealed.lastIndexOf('.');
    if (dot < PREFIX.length()) {
      throw new InvalidTicketException("ticket is malformed");
    }
    String signed = sealed.substring(0, dot);
    byte[] mac;
    byte[] payload;
    try {
      mac = Base64.getUrlDecoder().decode(sealed.substring(dot + 1));
      payload = Base64.getUrlDecoder().decode(signed.substring(PREFIX.length()));
    } catch (IllegalArgumentException e) {
      throw new InvalidTicketException("ticket is malformed");
    }
    boolean ok = false;
    for (SecretKeySpec k : keys) {
      ok |= MessageDigest.isEqual(mac, mac(k, signed));
    }
    if (!ok) {
      throw new InvalidTicketException("ticket seal does not verify");
    }
    String[] f = new String(payload, StandardCharsets.UTF_8).split("\\|", FIELDS);
    if (f.length != FIELDS) {
      throw new InvalidTicketException("ticket is malformed");
    }
    try {
      String conv = decode(f[1]);
      return new ReservationTicket(decode(f[0]), conv.isEmpty() ? null : conv, decode(f[2]), decode(f[3]),
          decode(f[4]), decode(f[5]), Long.parseLong(f[6]), Reservation.decode(f[7]));
    } catch (RuntimeException e) {
      throw new InvalidTicketException("ticket is malformed");
    }
  }

  private static void field(StringBuilder sb, String v) {
    sb.append(URLEncoder.encode(v, StandardCharsets.UTF_8)).append('|');
  }

  private static String decode(String v) {
    return URLDecoder.decode(v, StandardCharsets.UTF_8);
  }

  private static byte[] mac(SecretKeySpec key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return mac.doFinal(data.getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  @Override
  public String toString() {
    return "TicketSeal[" + keys.size() + " key(s), ****]";
  }
}
