package dev.tollgate.accounting;

import dev.tollgate.auth.HmacTokens;
import dev.tollgate.config.Secret;
import dev.tollgate.quota.Reservation;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Seals {@link ReservationTicket}s: {@code t1.<base64url(payload)>.<base64url(mac)>}, the MAC being
 * HMAC-SHA256 over {@code t1.<base64url(payload)>} with the first key. Any of the keys opens a
 * ticket, so keys rotate with overlap: add the new key second, then move it first on every replica,
 * then drop the old one. Every replica of a cluster must hold the same keys.
 */
public final class TicketSeal {
  private static final int MAX_LENGTH = 8192;
  private static final int FIELDS = 8;
  private final HmacTokens tokens;

  /**
   * @param keys HMAC keys: the first seals, any opens
   */
  public TicketSeal(List<Secret> keys) {
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("keys: empty (expected: at least one ticket key)");
    }
    this.tokens = new HmacTokens("t1.", keys, MAX_LENGTH);
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
    return tokens.sign(p.toString().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Verifies and reads a sealed ticket.
   *
   * @throws InvalidTicketException if it is malformed or no key verifies it
   */
  public ReservationTicket open(String sealed) {
    byte[] payload;
    try {
      payload = tokens.open(sealed);
    } catch (HmacTokens.Rejected r) {
      throw new InvalidTicketException(
          r.badSignature() ? "ticket seal does not verify" : "ticket is malformed");
    }
    String[] f = new String(payload, StandardCharsets.UTF_8).split("\\|", FIELDS);
    if (f.length != FIELDS) {
      throw new InvalidTicketException("ticket is malformed");
    }
    try {
      String conv = decode(f[1]);
      return new ReservationTicket(
          decode(f[0]),
          conv.isEmpty() ? null : conv,
          decode(f[2]),
          decode(f[3]),
          decode(f[4]),
          decode(f[5]),
          Long.parseLong(f[6]),
          Reservation.decode(f[7]));
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

  @Override
  public String toString() {
    return "TicketSeal[" + tokens + "]";
  }
}
