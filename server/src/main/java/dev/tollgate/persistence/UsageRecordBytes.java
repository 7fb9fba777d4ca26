package dev.tollgate.persistence;

import dev.tollgate.quota.UsageRecord;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A usage record as stored in the database: a version byte, then its windows' names, lengths, month
 * flags, heads and (since version 2) the units each counts, its counters and when it was last
 * touched. Version 1 stored both units for every window, as pairs of token and nano-USD counters;
 * version 2 stores the token counters of the windows that count tokens, then the nano-USD counters
 * of those that count nano-USD; version 3 adds, after them, the request counters of the windows
 * that count requests. All are read; a record written by a newer version than this one understands
 * is an error, never a silent zero.
 */
public final class UsageRecordBytes {
  /** The format written. */
  static final int VERSION = 3;

  /** Token and nano-USD counters of the windows that count them, no request counters. */
  static final int VERSION_2 = 2;

  /** The first format: every window counts both units. */
  static final int VERSION_1 = 1;

  /** The most windows or counters a stored record may claim (a corrupt length is an error). */
  private static final int MAX_ITEMS = 1 << 16;

  private UsageRecordBytes() {}

  /**
   * The stored form of {@code record}. Written straight into an array of the exact size (what
   * {@link java.io.DataOutputStream} would write, without its per-value copying): a write-behind
   * batch encodes every changed record.
   */
  public static byte[] encode(UsageRecord record) {
    UsageRecord.State s = record.state();
    int n = s.names().length;
    byte[][] names = new byte[n][];
    int size = 1 + 4 + n * (2 + 8 + 1 + 8 + 1);
    for (int i = 0; i < n; i++) {
      names[i] = modifiedUtf8(s.names()[i]);
      size += names[i].length;
    }
    size += 3 * 4 + (s.tokens().length + s.nanoUsd().length + s.requests().length) * 8 + 8;
    ByteBuffer out = ByteBuffer.allocate(size);
    out.put((byte) VERSION);
    out.putInt(n);
    for (int i = 0; i < n; i++) {
      out.putShort((short) names[i].length);
      out.put(names[i]);
      out.putLong(s.lengthMillis()[i]);
      out.put((byte) (s.month()[i] ? 1 : 0));
      out.putLong(s.head()[i]);
      out.put(s.units()[i]);
    }
    putLongs(out, s.tokens());
    putLongs(out, s.nanoUsd());
    putLongs(out, s.requests());
    out.putLong(s.lastTouchedMillis());
    return out.array();
  }

  private static void putLongs(ByteBuffer out, long[] values) {
    out.putInt(values.length);
    for (long v : values) {
      out.putLong(v);
    }
  }

  /** {@code name} as {@link java.io.DataOutput#writeUTF} writes it, without the length. */
  static byte[] modifiedUtf8(String name) {
    int len = 0;
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      len += c >= 1 && c <= 0x7F ? 1 : c <= 0x7FF ? 2 : 3;
    }
    if (len > 0xFFFF) {
      throw new IllegalArgumentException("usage record: window name of " + len + " bytes");
    }
    byte[] b = new byte[len];
    int j = 0;
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c >= 1 && c <= 0x7F) {
        b[j++] = (byte) c;
      } else if (c <= 0x7FF) {
        b[j++] = (byte) (0xC0 | (c >> 6));
        b[j++] = (byte) (0x80 | (c & 0x3F));
      } else {
        b[j++] = (byte) (0xE0 | (c >> 12));
        b[j++] = (byte) (0x80 | ((c >> 6) & 0x3F));
        b[j++] = (byte) (0x80 | (c & 0x3F));
      }
    }
    return b;
  }

  /**
   * The record stored as {@code data}.
   *
   * @throws IllegalArgumentException when the bytes are not a record this version can read
   */
  public static UsageRecord decode(byte[] data) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
      int version = in.readUnsignedByte();
      if (version != VERSION && version != VERSION_2 && version != VERSION_1) {
        throw new IllegalArgumentException(
            "usage record format " + version + " (expected: " + VERSION_1 + " to " + VERSION + ")");
      }
      int n = count(in.readInt());
      String[] names = new String[n];
      long[] lengths = new long[n];
      boolean[] month = new boolean[n];
      long[] head = new long[n];
      byte[] units = version == VERSION_1 ? UsageRecord.State.bothUnits(n) : new byte[n];
      for (int i = 0; i < n; i++) {
        names[i] = in.readUTF();
        lengths[i] = in.readLong();
        month[i] = in.readBoolean();
        head[i] = in.readLong();
        if (version != VERSION_1) {
          units[i] = in.readByte();
        }
      }
      long[] tokens;
      long[] usd;
      long[] requests = new long[0];
      if (version == VERSION_1) {
        int c = count(in.readInt());
        tokens = new long[c];
        usd = new long[c];
        for (int i = 0; i < c; i++) {
          tokens[i] = in.readLong();
          usd[i] = in.readLong();
        }
      } else {
        tokens = longs(in);
        usd = longs(in);
        if (version == VERSION) {
          requests = longs(in);
        }
      }
      long touched = in.readLong();
      if (in.read() != -1) {
        throw new IllegalArgumentException("usage record: trailing bytes");
      }
      return UsageRecord.fromState(
          new UsageRecord.State(
              names, lengths, month, head, units, tokens, usd, requests, touched));
    } catch (IOException e) {
      throw new IllegalArgumentException("usage record: cut short", e);
    }
  }

  private static long[] longs(DataInputStream in) throws IOException {
    long[] a = new long[count(in.readInt())];
    for (int i = 0; i < a.length; i++) {
      a[i] = in.readLong();
    }
    return a;
  }

  private static int count(int n) {
    if (n < 0 || n > MAX_ITEMS) {
      throw new IllegalArgumentException("usage record: " + n + " items");
    }
    return n;
  }
}
