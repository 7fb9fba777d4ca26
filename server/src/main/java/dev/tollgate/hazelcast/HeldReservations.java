package dev.tollgate.hazelcast;

import dev.tollgate.quota.Charge;
import dev.tollgate.quota.Reservation;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A held reservation as the map {@code tollgate-pending} stores it, under its id: one byte array,
 * {@code [1][expiry: 8 bytes, big-endian][at][tokens][nano-USD][requests][tag][key count][keys]},
 * numbers as variable-length integers (7 bits a byte; the time zigzag-encoded, as it may be
 * negative), the tag and keys as a length then UTF-8 (a tag's length is one more than its byte
 * count: 0 is no tag). The id is the entry's key and is not repeated; the expiry comes first, where
 * the sweep's predicate reads it without decoding the rest. Values written by earlier versions
 * ({@code expiry|r1|id|...} text) are still read.
 */
final class HeldReservations {
  private static final byte FORMAT = 1;

  private HeldReservations() {}

  /** {@code r} held until {@code expiresAtMillis}. */
  static byte[] encode(Reservation r, long expiresAtMillis) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64);
    out.write(FORMAT);
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.write((int) (expiresAtMillis >>> shift));
    }
    signed(out, r.atMillis());
    Charge c = r.charge();
    unsigned(out, c.tokens());
    unsigned(out, c.nanoUsd());
    unsigned(out, c.requests());
    if (r.tag() == null) {
      unsigned(out, 0);
    } else {
      byte[] t = r.tag().getBytes(StandardCharsets.UTF_8);
      unsigned(out, t.length + 1L);
      out.writeBytes(t);
    }
    unsigned(out, r.keys().size());
    for (String k : r.keys()) {
      byte[] b = k.getBytes(StandardCharsets.UTF_8);
      unsigned(out, b.length);
      out.writeBytes(b);
    }
    return out.toByteArray();
  }

  /** When the held value expires; {@link Long#MIN_VALUE} (expired) for one that is not readable. */
  static long expiry(Object value) {
    if (value instanceof byte[] b) {
      if (b.length < 9 || b[0] != FORMAT) {
        return Long.MIN_VALUE;
      }
      long e = 0;
      for (int i = 1; i <= 8; i++) {
        e = (e << 8) | (b[i] & 0xff);
      }
      return e;
    }
    if (value instanceof String s) {
      int bar = s.indexOf('|');
      try {
        return bar < 0 ? Long.MIN_VALUE : Long.parseLong(s, 0, bar, 10);
      } catch (NumberFormatException e) {
        return Long.MIN_VALUE;
      }
    }
    return Long.MIN_VALUE;
  }

  /**
   * The reservation held under {@code id} as {@code value}.
   *
   * @throws IllegalArgumentException if the value is not a held reservation
   */
  static Reservation decode(String id, Object value) {
    if (value instanceof String s) {
      return Reservation.decode(s.substring(s.indexOf('|') + 1));
    }
    if (!(value instanceof byte[] b) || b.length < 9 || b[0] != FORMAT) {
      throw new IllegalArgumentException("held reservation " + id + ": unknown format");
    }
    try {
      int[] at = {9};
      long atMillis = readSigned(b, at);
      Charge charge = new Charge(readUnsigned(b, at), readUnsigned(b, at), readUnsigned(b, at));
      long tagLength = readUnsigned(b, at);
      String tag = tagLength == 0 ? null : text(b, at, tagLength - 1);
      long n = readUnsigned(b, at);
      if (n > b.length) {
        throw new IllegalArgumentException("key count " + n);
      }
      List<String> keys = new ArrayList<>((int) n);
      for (long i = 0; i < n; i++) {
        keys.add(text(b, at, readUnsigned(b, at)));
      }
      if (at[0] != b.length) {
        throw new IllegalArgumentException((b.length - at[0]) + " bytes left over");
      }
      return new Reservation(id, atMillis, charge, keys, tag);
    } catch (ArrayIndexOutOfBoundsException e) {
      throw new IllegalArgumentException("held reservation " + id + ": truncated", e);
    }
  }

  private static String text(byte[] b, int[] at, long length) {
    if (length < 0 || length > b.length - at[0]) {
      throw new IllegalArgumentException("text of " + length + " bytes");
    }
    String s = new String(b, at[0], (int) length, StandardCharsets.UTF_8);
    at[0] += (int) length;
    return s;
  }

  private static void unsigned(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7FL) != 0) {
      out.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }

  private static void signed(ByteArrayOutputStream out, long v) {
    unsigned(out, (v << 1) ^ (v >> 63));
  }

  private static long readUnsigned(byte[] b, int[] at) {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      byte x = b[at[0]++];
      v |= (long) (x & 0x7F) << shift;
      if (x >= 0) {
        return v;
      }
    }
    throw new IllegalArgumentException("a number longer than 10 bytes");
  }

  private static long readSigned(byte[] b, int[] at) {
    long u = readUnsigned(b, at);
    return (u >>> 1) ^ -(u & 1);
  }
}
