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
    int keysAt = nthBar(plain, 5);
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

  /** {@code r1|id|at|tokens|nanoUsd|key1|key2...}, keys URL-encoded; without the tag. */
  public String encode() {
    StringBuilder sb = new StringBuilder(64);
    sb.append(VERSION)
        .append('|')
        .append(id)
        .append('|')
        .append(atMillis)
        .append('|')
        .append(charge.tokens())
        .append('|')
        .append(charge.nanoUsd());
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
    if (parts.length < 5 || !parts[0].equals(VERSION)) {
      throw new IllegalArgumentException("reservation: not an " + VERSION + " reservation");
    }
    try {
      long at = Long.parseLong(parts[2]);
      Charge charge = new Charge(Long.parseLong(parts[3]), Long.parseLong(parts[4]));
      List<String> keys = new ArrayList<>(parts.length - 5);
      String tag = null;
      for (int i = 5; i < parts.length; i++) {
        if (i == 5 && parts[i].startsWith(TAG)) {
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
