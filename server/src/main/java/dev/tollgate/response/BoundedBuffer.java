package dev.tollgate.response;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A growable byte buffer with a hard cap, whose capacity is taken from a {@link BufferBudget} lease
 * and given back when it is cleared: after a large line or event it does not stay large.
 */
final class BoundedBuffer {
  /** Outcome of an append. */
  enum Append {
    OK,
    TOO_LARGE,
    NO_BUDGET
  }

  private static final int INITIAL = 256;
  private static final int KEEP_AFTER_CLEAR = 4 << 10;

  private final int max;
  private final BufferBudget.Lease lease;
  private byte[] bytes;
  private int size;

  BoundedBuffer(int max, BufferBudget.Lease lease) {
    this.max = max;
    this.lease = lease;
  }

  int size() {
    return size;
  }

  byte at(int i) {
    return bytes[i];
  }

  /** Appends {@code len} bytes; on failure nothing is appended. */
  Append append(byte[] b, int off, int len) {
    if (len <= 0) {
      return Append.OK;
    }
    Append r = reserve(len);
    if (r == Append.OK) {
      System.arraycopy(b, off, bytes, size, len);
      size += len;
    }
    return r;
  }

  /** Appends one byte. */
  Append append(byte b) {
    Append r = reserve(1);
    if (r == Append.OK) {
      bytes[size++] = b;
    }
    return r;
  }

  private Append reserve(int len) {
    if ((long) size + len > max) {
      return Append.TOO_LARGE;
    }
    int need = size + len;
    int cap = bytes == null ? 0 : bytes.length;
    if (need > cap) {
      int newCap = (int) Math.min(max, Math.max(need, Math.max(INITIAL, 2L * cap)));
      if (!lease.tryGrow(newCap - cap)) {
        return Append.NO_BUDGET;
      }
      bytes = bytes == null ? new byte[newCap] : Arrays.copyOf(bytes, newCap);
    }
    return Append.OK;
  }

  /** Appends {@code len} bytes of another buffer from {@code off}. */
  Append appendFrom(BoundedBuffer other, int off, int len) {
    return append(other.bytes, off, len);
  }

  /** Empties the buffer; a large one is released to the budget. */
  void clear() {
    size = 0;
    if (bytes != null && bytes.length > KEEP_AFTER_CLEAR) {
      lease.shrink(bytes.length);
      bytes = null;
    }
  }

  /** Empties the buffer and releases all of it. */
  void release() {
    size = 0;
    if (bytes != null) {
      lease.shrink(bytes.length);
      bytes = null;
    }
  }

  /** Bytes {@code [from, size)} as UTF-8. */
  String utf8(int from) {
    return size <= from ? "" : new String(bytes, from, size - from, StandardCharsets.UTF_8);
  }

  /** Capacity held now. */
  int capacity() {
    return bytes == null ? 0 : bytes.length;
  }
}
