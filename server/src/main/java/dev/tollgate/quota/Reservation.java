package dev.tollgate.quota;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A reservation made at admission, to be settled (or released) once the response is known. It
 * travels from ext_authz to ext_proc as an opaque string in Envoy's dynamic metadata ({@link
 * #encode()} / {@link #decode(String)}).
 *
 * @param id unique id (for logs and at-most-once settlement)
 * @param atMillis when it was made (epoch millis): settlement corrects that bucket
 * @param charge what was reserved on every key
 * @param keys the store keys it was reserved on
 * @param tag what the caller holds with the reservation until it is settled or expires (the
 *     ledger's dimensions), or null; not part of {@link #encode()}
 */
public record Reservation(String id, long atMillis, Charge charge, List<String> keys, String tag) {
  private static final String VERSION = "r1";

  /** With a request count after the nano-USD: written only when the charge counts requests. */
  private static final String VERSION_2 = "r2";

  private static final String TAG = "t=";

  public Reservation {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(charge, "charge");
    keys = List.copyOf(keys);
    if (id.isEmpty() || id.indexOf('|') >= 0) {
      throw new IllegalArgumentException("id: '" + id + "' (expected: non-empty, no '|')");
    }
  }

  /** Without a tag. */
  public Reservation(String id, long atMillis, Charge charge, List<String> keys) {
    this(id, atMillis, charge, keys, null);
  }

  /**
   * {@link #encode()} with the tag, if any, as one more part {@code t=<tag>} (URL-encoded, so never
   * mistaken for a key): how a store holds it.
   */
  public String encodeHeld() {
    String plain = encode();
    if (tag == null) {
      return plain;
    }
    int keysAt = nthBar(plain, charge.requests() == 0 ? 5 : 6);
    String t = "|" + TAG + URLEncoder.encode(tag, StandardCharsets.UTF_8);
    return keysAt < 0 ? plain + t : plain.substring(0, keysAt) + t + plain.substring(keysAt);
  }

  private static int nthBar(String s, int n) {
    int at = -1;
    for (int i = 0; i < n; i++) {
      at = s.indexOf('|', at + 1);
      if (at < 0) {
        return -1;
      }
    }
    return at;
  }

  /**
   * {@code r1|id|at|tokens|nanoUsd|key1|key2...}, or {@code
   * r2|id|at|tokens|nanoUsd|requests|key1...} when the charge counts requests; keys URL-encoded;
   * without the tag.
   */
  public String encode() {
    StringBuilder sb = new StringBuilder(64);
    sb.append(charge.requests() == 0 ? VERSION : VERSION_2)
        .append('|')
        .append(id)
        .append('|')
        .append(atMillis)
        .append('|')
        .append(charge.tokens())
        .append('|')
        .append(charge.nanoUsd());
    if (charge.requests() != 0) {
      sb.append('|').append(charge.requests());
    }
    for (String k : keys) {
      sb.append('|').append(URLEncoder.encode(k, StandardCharsets.UTF_8));
    }
    return sb.toString();
  }

  /**
   * Parses {@link #encode()}'s or {@link #encodeHeld()}'s output.
   *
   * @throws IllegalArgumentException if the text is not a reservation
   */
  public static Reservation decode(String text) {
    if (text == null) {
      throw new IllegalArgumentException("reservation: null");
    }
    String[] parts = text.split("\\|", -1);
    boolean v2 = parts[0].equals(VERSION_2);
    int first = v2 ? 6 : 5;
    if (parts.length < first || !(v2 || parts[0].equals(VERSION))) {
      throw new IllegalArgumentException(
          "reservation: not an " + VERSION + " or " + VERSION_2 + " reservation");
    }
    try {
      long at = Long.parseLong(parts[2]);
      Charge charge =
          new Charge(
              Long.parseLong(parts[3]),
              Long.parseLong(parts[4]),
              v2 ? Long.parseLong(parts[5]) : 0);
      List<String> keys = new ArrayList<>(parts.length - first);
      String tag = null;
      for (int i = first; i < parts.length; i++) {
        if (i == first && parts[i].startsWith(TAG)) {
          tag = URLDecoder.decode(parts[i].substring(TAG.length()), StandardCharsets.UTF_8);
          continue;
        }
        keys.add(URLDecoder.decode(parts[i], StandardCharsets.UTF_8));
      }
      return new Reservation(parts[1], at, charge, keys, tag);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("reservation: malformed (" + e.getMessage() + ")", e);
    }
  }
}
