package dev.tollgate.quota;

import static dev.tollgate.quota.UsageRecord.BUCKETS;
import static dev.tollgate.quota.UsageRecord.UNIT_REQUESTS;
import static dev.tollgate.quota.UsageRecord.UNIT_TOKENS;

/**
 * The counters of a {@link UsageRecord} in one {@code long[]}: window after window (in the order of
 * its {@link RecordLayout}), a segment. A month window's segment is its period start, then one
 * counter per unit it counts. A sliding window's ring is stored sparsely: its segment is the newest
 * bucket's index, a bit mask of the ring slots holding a non-zero counter, then for each of those
 * slots, in slot order, one entry of a counter per unit it counts. A slot has an entry exactly when
 * one of its counters is non-zero, so an idle ring is two longs and a busy one at most {@value
 * UsageRecord#BUCKETS} entries more. Units are in the order tokens, nano-USD, requests.
 *
 * <p>Static functions of a layout and an array: a change of the array's shape returns a new array
 * (a reader holding the old one still sees a whole record).
 */
final class Segments {
  /** In a segment: the newest bucket index (sliding) or the period start (month). */
  static final int HEAD = 0;

  /** In a sliding window's segment: the mask of the slots that have an entry. */
  static final int MASK = 1;

  /** Where a sliding window's entries start. */
  static final int SLIDING_ENTRIES = 2;

  /** Where a month window's counters start. */
  static final int MONTH_COUNTERS = 1;

  /** Every slot of a ring, as a mask. */
  static final long ALL_SLOTS = (1L << BUCKETS) - 1;

  private Segments() {}

  /** Where window {@code w}'s segment starts in {@code d}. */
  static int offset(RecordLayout l, long[] d, int w) {
    int off = 0;
    for (int i = 0; i < w; i++) {
      off += length(l, d, i, off);
    }
    return off;
  }

  /** The length of window {@code w}'s segment, which starts at {@code off}. */
  static int length(RecordLayout l, long[] d, int w, int off) {
    int nu = l.unitCount(w);
    return l.month(w) ? MONTH_COUNTERS + nu : SLIDING_ENTRIES + nu * Long.bitCount(d[off + MASK]);
  }

  /** Counter {@code c} (column) of {@code slot} in window {@code w} at {@code off}. */
  static long counter(RecordLayout l, long[] d, int w, int off, int slot, int c) {
    if (l.month(w)) {
      return d[off + MONTH_COUNTERS + c];
    }
    long mask = d[off + MASK];
    if ((mask & (1L << slot)) == 0) {
      return 0;
    }
    int rank = Long.bitCount(mask & ((1L << slot) - 1));
    return d[off + SLIDING_ENTRIES + rank * l.unitCount(w) + c];
  }

  /**
   * Sets the counters of {@code slot} of window {@code w} at {@code off}: in place when it has an
   * entry, adding an entry when it has none and a counter becomes non-zero, dropping it when all
   * become zero.
   *
   * @return {@code d}, or a new array when the segment's length changed
   */
  static long[] set(RecordLayout l, long[] d, int w, int off, int slot, long[] values) {
    int nu = values.length;
    if (l.month(w)) {
      System.arraycopy(values, 0, d, off + MONTH_COUNTERS, nu);
      return d;
    }
    boolean zero = true;
    for (long v : values) {
      zero &= v == 0;
    }
    long mask = d[off + MASK];
    long bit = 1L << slot;
    int at = off + SLIDING_ENTRIES + Long.bitCount(mask & (bit - 1)) * nu;
    if ((mask & bit) != 0) {
      if (zero) {
        return remove(l, d, w, off, bit);
      }
      System.arraycopy(values, 0, d, at, nu);
      return d;
    }
    if (zero) {
      return d;
    }
    long[] grown = new long[d.length + nu];
    System.arraycopy(d, 0, grown, 0, at);
    System.arraycopy(values, 0, grown, at, nu);
    System.arraycopy(d, at, grown, at + nu, d.length - at);
    grown[off + MASK] = mask | bit;
    return grown;
  }

  /**
   * {@code d} without the entries of the {@code slots} (all present) of sliding window {@code w}.
   */
  static long[] remove(RecordLayout l, long[] d, int w, int off, long slots) {
    int nu = l.unitCount(w);
    long mask = d[off + MASK];
    int entries = off + SLIDING_ENTRIES;
    long[] shrunk = new long[d.length - Long.bitCount(slots) * nu];
    System.arraycopy(d, 0, shrunk, 0, entries);
    int to = entries;
    int from = entries;
    for (long m = mask; m != 0; m &= m - 1) {
      if ((slots & Long.lowestOneBit(m)) == 0) {
        System.arraycopy(d, from, shrunk, to, nu);
        to += nu;
      }
      from += nu;
    }
    System.arraycopy(d, from, shrunk, to, d.length - from);
    shrunk[off + MASK] = mask & ~slots;
    return shrunk;
  }

  /** Window {@code w}'s segment (at {@code off}) counting {@code units}, the new ones at zero. */
  static long[] widen(RecordLayout l, long[] d, int w, int off, byte units) {
    byte old = l.units(w);
    int nu = Integer.bitCount(units);
    int oldNu = Integer.bitCount(old);
    int entriesAt = l.month(w) ? MONTH_COUNTERS : SLIDING_ENTRIES;
    int entries = l.month(w) ? 1 : Long.bitCount(d[off + MASK]);
    long[] seg = new long[entriesAt + entries * nu];
    System.arraycopy(d, off, seg, 0, entriesAt);
    for (byte bit = UNIT_TOKENS; bit <= UNIT_REQUESTS; bit <<= 1) {
      int from = column(old, bit);
      int to = column(units, bit);
      if (from >= 0 && to >= 0) {
        for (int e = 0; e < entries; e++) {
          seg[entriesAt + e * nu + to] = d[off + entriesAt + e * oldNu + from];
        }
      }
    }
    return seg;
  }

  /**
   * Copies counter {@code c} of window {@code w} at {@code off} into {@code out} from {@code at}.
   */
  static void copyDense(RecordLayout l, long[] d, int w, int off, int c, long[] out, int at) {
    if (l.month(w)) {
      out[at] = d[off + MONTH_COUNTERS + c];
      return;
    }
    int nu = l.unitCount(w);
    int e = 0;
    for (long m = d[off + MASK]; m != 0; m &= m - 1) {
      out[at + Long.numberOfTrailingZeros(m)] = d[off + SLIDING_ENTRIES + e * nu + c];
      e++;
    }
  }

  /** A month window's segment: {@code head} and one counter per column. */
  static long[] month(long head, long[][] columns) {
    long[] seg = new long[MONTH_COUNTERS + columns.length];
    seg[HEAD] = head;
    for (int c = 0; c < columns.length; c++) {
      seg[MONTH_COUNTERS + c] = columns[c][0];
    }
    return seg;
  }

  /** A sliding window's segment from full rings (one per column): the non-zero slots only. */
  static long[] sliding(long head, long[][] columns) {
    long mask = 0;
    for (long[] column : columns) {
      for (int slot = 0; slot < BUCKETS; slot++) {
        if (column[slot] != 0) {
          mask |= 1L << slot;
        }
      }
    }
    int nu = columns.length;
    long[] seg = new long[SLIDING_ENTRIES + Long.bitCount(mask) * nu];
    seg[HEAD] = head;
    seg[MASK] = mask;
    int e = 0;
    for (long m = mask; m != 0; m &= m - 1) {
      int slot = Long.numberOfTrailingZeros(m);
      for (int c = 0; c < nu; c++) {
        seg[SLIDING_ENTRIES + e * nu + c] = columns[c][slot];
      }
      e++;
    }
    return seg;
  }

  /** The segments one after the other. */
  static long[] concat(long[][] segments) {
    int total = 0;
    for (long[] seg : segments) {
      total += seg.length;
    }
    long[] out = new long[total];
    int at = 0;
    for (long[] seg : segments) {
      System.arraycopy(seg, 0, out, at, seg.length);
      at += seg.length;
    }
    return out;
  }

  /** The column of {@code unit} among {@code units} (tokens, nano-USD, requests), or -1. */
  static int column(byte units, byte unit) {
    return (units & unit) == 0 ? -1 : Integer.bitCount(units & (unit - 1));
  }

  /** The ring slot of absolute bucket {@code index}. */
  static int slot(long index) {
    return (int) Math.floorMod(index, (long) BUCKETS);
  }
}
