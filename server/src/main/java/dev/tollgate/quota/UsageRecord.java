package dev.tollgate.quota;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The usage of one quota key: per window, a ring of bucket counters (sliding windows) or one
 * counter for the current calendar month (UTC). Plain, self-contained state: the in-memory store
 * changes it inside {@code ConcurrentHashMap.compute}, the Hazelcast store inside an entry
 * processor on the key's owner. Another thread may read it meanwhile (Hazelcast's write-behind
 * store may encode the live record), so its public methods are synchronized: such a read sees the
 * record between two changes, never in the middle of one.
 *
 * <p>A sliding window of length L has {@value #BUCKETS} buckets of L/{@value #BUCKETS}; usage is
 * the sum of the buckets that overlap {@code (now - L, now]}, so it over-counts by at most one
 * bucket's worth of time (the oldest bucket is counted whole until it leaves).
 *
 * <p>A window counts only the units that some limit on it uses: the counters of a unit are
 * allocated the first time a limit of that unit is reserved against the window, and a charge's
 * other units are not recorded there (a default tier's token windows hold no USD counters). The
 * status of a unit a window never tracked is 0 used. So a limit of a new unit added to an existing
 * window by a config change counts from then on, not from what was charged before it.
 *
 * <p>Memory layout (there is one record per active user, so it is kept small): the windows' names,
 * lengths and units are a layout shared by every record with the same windows; the record itself
 * holds that layout, when it was last touched and one {@code long[]} with, window after window, a
 * segment of its head and counters. A month window's segment is its period start and one counter
 * per unit it counts. A sliding window's ring is stored sparsely: its segment is the newest
 * bucket's index, a bit mask of the buckets (ring slots) holding a non-zero counter, then for each
 * of those slots, in slot order, one counter per unit. A bucket that rolls off or is corrected to
 * zero leaves the segment, so an idle ring costs two longs and a busy one at most {@value #BUCKETS}
 * entries. Counters are exact 64-bit values, saturating at {@link Long#MAX_VALUE}.
 */
public final class UsageRecord {
  /** Buckets per sliding window: the error bound is one bucket, 1/20 of the window. */
  public static final int BUCKETS = 20;

  /** In {@link State#units()}: the window counts tokens. */
  public static final byte UNIT_TOKENS = 1;

  /** In {@link State#units()}: the window counts nano-USD. */
  public static final byte UNIT_NANO_USD = 2;

  /** In {@link State#units()}: the window counts both (every window of the older formats). */
  public static final byte UNITS_BOTH = UNIT_TOKENS | UNIT_NANO_USD;

  /** In {@link State#units()}: the window counts requests. */
  public static final byte UNIT_REQUESTS = 4;

  /** Every unit bit a window may have. */
  public static final byte UNITS_ALL = UNITS_BOTH | UNIT_REQUESTS;

  /** Every slot of a ring, as a mask. */
  private static final long ALL_SLOTS = (1L << BUCKETS) - 1;

  /** Offsets in a sliding window's segment: its newest bucket, then its mask of used slots. */
  private static final int HEAD = 0;

  private static final int MASK = 1;

  /** A sliding window's entries start after its head and mask, a month's counters after head. */
  private static final int SLIDING_ENTRIES = 2;

  private static final int MONTH_COUNTERS = 1;

  private static final long[] NO_DATA = new long[0];

  /** The windows, shared with every record that has the same. */
  private RecordLayout layout;

  /** Window after window, its segment (see the class comment). */
  private long[] data;

  private long lastTouchedMillis;

  private UsageRecord(RecordLayout layout, long[] data, long lastTouchedMillis) {
    this.layout = layout;
    this.data = data;
    this.lastTouchedMillis = lastTouchedMillis;
  }

  /** A record with no usage. */
  public static UsageRecord empty() {
    return new UsageRecord(RecordLayout.EMPTY, NO_DATA, 0);
  }

  /**
   * Reserves {@code charge} on every limit if all enforced limits have room (or unconditionally
   * when {@code enforce} is false); otherwise changes nothing. Shadow limits are counted like the
   * others but never refuse.
   */
  public synchronized KeyReserveResult reserve(
      List<Limit> limits, Charge charge, long now, boolean enforce) {
    countAll(limits, now);
    advanceAll(now);
    WindowStatus binding = null;
    Duration bindingWait = null;
    boolean neverFits = false;
    if (enforce) {
      for (Limit l : limits) {
        if (l.shadow()) {
          continue;
        }
        int w = layout.find(l.window().name());
        long used = used(w, l.unit());
        long amount = l.amountOf(charge);
        if (amount > 0 && addSaturated(used, amount) > l.max()) {
          boolean never = amount > l.max();
          Duration wait =
              never
                  ? resetIn(w, now)
                  : waitFor(w, l.unit(), addSaturated(used, amount) - l.max(), now);
          if (wait.isZero() || wait.isNegative()) {
            wait = Duration.ofMillis(1);
          }
          if (binding == null
              || (never && !neverFits)
              || (never == neverFits && wait.compareTo(bindingWait) > 0)) {
            binding = status(w, l, now);
            bindingWait = wait;
            neverFits = never;
          }
        }
      }
    }
    if (binding != null) {
      return new KeyReserveResult.Refused(binding, bindingWait, neverFits, status(limits, now));
    }
    for (int w = 0; w < layout.size(); w++) {
      change(w, currentSlot(w), charge.tokens(), charge.nanoUsd(), charge.requests(), false);
    }
    lastTouchedMillis = Math.max(lastTouchedMillis, now);
    return new KeyReserveResult.Granted(status(limits, now));
  }

  /**
   * Adds {@code actual - reserved} to the bucket holding {@code reservedAt} (when still inside the
   * window), never below zero.
   */
  public synchronized void adjust(Charge reserved, Charge actual, long reservedAt, long now) {
    advanceAll(now);
    long dTokens = actual.tokens() - reserved.tokens();
    long dUsd = actual.nanoUsd() - reserved.nanoUsd();
    long dRequests = actual.requests() - reserved.requests();
    if (dTokens == 0 && dUsd == 0 && dRequests == 0) {
      return;
    }
    for (int w = 0; w < layout.size(); w++) {
      int slot = slotOf(w, reservedAt);
      if (slot >= 0) {
        change(w, slot, dTokens, dUsd, dRequests, true);
      }
    }
    lastTouchedMillis = Math.max(lastTouchedMillis, now);
  }

  /** The status of each limit at {@code now} (does not change usage). */
  public synchronized List<WindowStatus> status(List<Limit> limits, long now) {
    List<WindowStatus> out = new ArrayList<>(limits.size());
    for (Limit l : limits) {
      int w = layout.find(l.window().name());
      if (w < 0) {
        out.add(new WindowStatus(l, 0, l.max(), Duration.ZERO));
      } else {
        advance(w, now);
        out.add(status(w, l, now));
      }
    }
    return out;
  }

  /** When usage was last added or corrected. */
  public synchronized long lastTouchedMillis() {
    return lastTouchedMillis;
  }

  /** The longest window tracked (a month counts as 31 days); zero when none. */
  public synchronized Duration longestWindow() {
    return layout.longest();
  }

  /** True when nothing is counted any more at {@code now}. */
  public synchronized boolean isEmpty(long now) {
    for (int w = 0; w < layout.size(); w++) {
      advance(w, now);
      int off = offset(w);
      if (layout.month(w)) {
        for (int c = 0; c < layout.unitCount(w); c++) {
          if (data[off + MONTH_COUNTERS + c] != 0) {
            return false;
          }
        }
      } else if (data[off + MASK] != 0) {
        return false;
      }
    }
    return true;
  }

  static long addSaturated(long a, long b) {
    long r = a + b;
    return ((a ^ r) & (b ^ r)) < 0 ? (r < 0 ? Long.MAX_VALUE : Long.MIN_VALUE) : r;
  }

  // ---- windows --------------------------------------------------------------------------------

  /** Adds the windows of {@code limits} not yet tracked, and their units to those that are. */
  private void countAll(List<Limit> limits, long now) {
    RecordLayout target = layout;
    for (Limit l : limits) {
      Window window = l.window();
      int w = target.find(window.name());
      if (w < 0) {
        long length =
            window.calendarMonth() ? Window.MONTH_NOMINAL.toMillis() : window.length().toMillis();
        target = target.withWindow(window.name(), length, window.calendarMonth());
        w = target.size() - 1;
      }
      byte bit = unitBit(l.unit());
      if ((target.units(w) & bit) == 0) {
        target = target.withUnits(w, bit);
      }
    }
    if (target != layout) {
      relayout(target, now);
    }
  }

  /**
   * Moves to {@code target}: the same windows first (each counting the same units or more, the new
   * ones from zero), then new windows starting at {@code now}.
   */
  private void relayout(RecordLayout target, long now) {
    int n = layout.size();
    long[][] segments = new long[target.size()][];
    int total = 0;
    int off = 0;
    for (int w = 0; w < target.size(); w++) {
      long[] seg;
      if (w < n) {
        int len = segmentLength(w, off);
        seg = widen(w, off, target.units(w));
        off += len;
      } else if (target.month(w)) {
        seg = new long[MONTH_COUNTERS + target.unitCount(w)];
        seg[HEAD] = monthStart(now);
      } else {
        seg = new long[SLIDING_ENTRIES];
        seg[HEAD] = Math.floorDiv(now, bucketMillis(target.lengthMillis(w)));
      }
      segments[w] = seg;
      total += seg.length;
    }
    long[] out = new long[total];
    int at = 0;
    for (long[] seg : segments) {
      System.arraycopy(seg, 0, out, at, seg.length);
      at += seg.length;
    }
    layout = target;
    data = out;
  }

  /** Window {@code w}'s segment (at {@code off}) counting {@code units}, new ones at zero. */
  private long[] widen(int w, int off, byte units) {
    byte old = layout.units(w);
    int nu = Integer.bitCount(units);
    int oldNu = Integer.bitCount(old);
    int entriesAt = layout.month(w) ? MONTH_COUNTERS : SLIDING_ENTRIES;
    int entries = layout.month(w) ? 1 : Long.bitCount(data[off + MASK]);
    long[] seg = new long[entriesAt + entries * nu];
    System.arraycopy(data, off, seg, 0, entriesAt);
    for (byte bit = UNIT_TOKENS; bit <= UNIT_REQUESTS; bit <<= 1) {
      int from = column(old, bit);
      int to = column(units, bit);
      if (from >= 0 && to >= 0) {
        for (int e = 0; e < entries; e++) {
          seg[entriesAt + e * nu + to] = data[off + entriesAt + e * oldNu + from];
        }
      }
    }
    return seg;
  }

  private void advanceAll(long now) {
    for (int w = 0; w < layout.size(); w++) {
      advance(w, now);
    }
  }

  /** Moves window {@code w} to {@code now}: buckets that left the window are dropped. */
  private void advance(int w, long now) {
    int off = offset(w);
    long head = data[off + HEAD];
    if (layout.month(w)) {
      long start = monthStart(now);
      if (start > head) {
        data[off + HEAD] = start;
        Arrays.fill(data, off + MONTH_COUNTERS, off + MONTH_COUNTERS + layout.unitCount(w), 0);
      }
      return;
    }
    long idx = Math.floorDiv(now, bucketMillis(layout.lengthMillis(w)));
    if (idx <= head) {
      return;
    }
    long cleared;
    if (idx - head >= BUCKETS) {
      cleared = ALL_SLOTS;
    } else {
      cleared = 0;
      for (long i = head + 1; i <= idx; i++) {
        cleared |= 1L << slot(i);
      }
    }
    data[off + HEAD] = idx;
    long mask = data[off + MASK];
    if ((mask & cleared) != 0) {
      remove(w, off, mask & cleared);
    }
  }

  /** The slot charges go to in window {@code w}. */
  private int currentSlot(int w) {
    return layout.month(w) ? 0 : slot(data[offset(w) + HEAD]);
  }

  /** The slot of window {@code w} that holds {@code at}, or -1 when it has left the window. */
  private int slotOf(int w, long at) {
    long head = data[offset(w) + HEAD];
    if (layout.month(w)) {
      return monthStart(at) == head ? 0 : -1;
    }
    long idx = Math.min(Math.floorDiv(at, bucketMillis(layout.lengthMillis(w))), head);
    return idx <= head - BUCKETS ? -1 : slot(idx);
  }

  /**
   * Adds the deltas to the counters of {@code slot} in window {@code w}, for the units it counts
   * (saturating; with {@code clamp}, never below zero).
   */
  private void change(int w, int slot, long dTokens, long dUsd, long dRequests, boolean clamp) {
    int off = offset(w);
    byte units = layout.units(w);
    int nu = Integer.bitCount(units);
    long[] values = new long[nu];
    int c = 0;
    for (byte bit = UNIT_TOKENS; bit <= UNIT_REQUESTS; bit <<= 1) {
      if ((units & bit) != 0) {
        long d = bit == UNIT_TOKENS ? dTokens : bit == UNIT_NANO_USD ? dUsd : dRequests;
        long v = addSaturated(counter(w, off, slot, c), d);
        values[c++] = clamp ? Math.max(0, v) : v;
      }
    }
    set(w, off, slot, values);
  }

  /** Counter {@code c} (column) of {@code slot} in window {@code w} at {@code off}. */
  private long counter(int w, int off, int slot, int c) {
    if (layout.month(w)) {
      return data[off + MONTH_COUNTERS + c];
    }
    long mask = data[off + MASK];
    if ((mask & (1L << slot)) == 0) {
      return 0;
    }
    int rank = Long.bitCount(mask & ((1L << slot) - 1));
    return data[off + SLIDING_ENTRIES + rank * layout.unitCount(w) + c];
  }

  /**
   * Sets the counters of {@code slot}: in place when it has an entry, adding an entry when it has
   * none and a counter becomes non-zero, dropping it when all become zero.
   */
  private void set(int w, int off, int slot, long[] values) {
    int nu = values.length;
    if (layout.month(w)) {
      System.arraycopy(values, 0, data, off + MONTH_COUNTERS, nu);
      return;
    }
    boolean zero = true;
    for (long v : values) {
      zero &= v == 0;
    }
    long mask = data[off + MASK];
    long bit = 1L << slot;
    int at = off + SLIDING_ENTRIES + Long.bitCount(mask & (bit - 1)) * nu;
    if ((mask & bit) != 0) {
      if (zero) {
        remove(w, off, bit);
      } else {
        System.arraycopy(values, 0, data, at, nu);
      }
    } else if (!zero) {
      long[] grown = new long[data.length + nu];
      System.arraycopy(data, 0, grown, 0, at);
      System.arraycopy(values, 0, grown, at, nu);
      System.arraycopy(data, at, grown, at + nu, data.length - at);
      grown[off + MASK] = mask | bit;
      data = grown;
    }
  }

  /** Drops the entries of the {@code slots} (all present) of sliding window {@code w}. */
  private void remove(int w, int off, long slots) {
    int nu = layout.unitCount(w);
    long mask = data[off + MASK];
    int entries = off + SLIDING_ENTRIES;
    long[] shrunk = new long[data.length - Long.bitCount(slots) * nu];
    System.arraycopy(data, 0, shrunk, 0, entries);
    int to = entries;
    int from = entries;
    for (long m = mask; m != 0; m &= m - 1) {
      if ((slots & Long.lowestOneBit(m)) == 0) {
        System.arraycopy(data, from, shrunk, to, nu);
        to += nu;
      }
      from += nu;
    }
    System.arraycopy(data, from, shrunk, to, data.length - from);
    shrunk[off + MASK] = mask & ~slots;
    data = shrunk;
  }

  /** The usage of {@code unit} in window {@code w} (0 when it does not count that unit). */
  private long used(int w, Unit unit) {
    int c = column(layout.units(w), unitBit(unit));
    if (c < 0) {
      return 0;
    }
    int off = offset(w);
    if (layout.month(w)) {
      return data[off + MONTH_COUNTERS + c];
    }
    int nu = layout.unitCount(w);
    int entries = Long.bitCount(data[off + MASK]);
    long sum = 0;
    for (int e = 0; e < entries; e++) {
      sum = addSaturated(sum, data[off + SLIDING_ENTRIES + e * nu + c]);
    }
    return sum;
  }

  /** How long until {@code need} units of {@code unit} have rolled off window {@code w}. */
  private Duration waitFor(int w, Unit unit, long need, long now) {
    if (layout.month(w)) {
      return Duration.ofMillis(nextMonthStart(now) - now);
    }
    int c = column(layout.units(w), unitBit(unit));
    if (c < 0) {
      return Duration.ZERO; // nothing counted
    }
    int off = offset(w);
    long head = data[off + HEAD];
    long bucket = bucketMillis(layout.lengthMillis(w));
    long freed = 0;
    for (long i = head - BUCKETS + 1; i <= head; i++) {
      freed = addSaturated(freed, counter(w, off, slot(i), c));
      if (freed >= need) {
        return Duration.ofMillis((i + BUCKETS) * bucket - now);
      }
    }
    return Duration.ofMillis((head + BUCKETS) * bucket - now);
  }

  /** Time until everything counted now has rolled off (sliding) or the period ends (month). */
  private Duration resetIn(int w, long now) {
    if (layout.month(w)) {
      return Duration.ofMillis(nextMonthStart(now) - now);
    }
    int off = offset(w);
    long head = data[off + HEAD];
    long mask = data[off + MASK];
    for (long i = head; i > head - BUCKETS; i--) {
      if ((mask & (1L << slot(i))) != 0) {
        long bucket = bucketMillis(layout.lengthMillis(w));
        return Duration.ofMillis(Math.max(0, (i + BUCKETS) * bucket - now));
      }
    }
    return Duration.ZERO;
  }

  private WindowStatus status(int w, Limit l, long now) {
    long used = used(w, l.unit());
    return new WindowStatus(l, used, Math.max(0, l.max() - used), resetIn(w, now));
  }

  /** Where window {@code w}'s segment starts in {@link #data}. */
  private int offset(int w) {
    int off = 0;
    for (int i = 0; i < w; i++) {
      off += segmentLength(i, off);
    }
    return off;
  }

  /** The length of window {@code w}'s segment, which starts at {@code off}. */
  private int segmentLength(int w, int off) {
    int nu = layout.unitCount(w);
    return layout.month(w)
        ? MONTH_COUNTERS + nu
        : SLIDING_ENTRIES + nu * Long.bitCount(data[off + MASK]);
  }

  /** The column of {@code unit} among {@code units} (tokens, nano-USD, requests), or -1. */
  private static int column(byte units, byte unit) {
    return (units & unit) == 0 ? -1 : Integer.bitCount(units & (unit - 1));
  }

  private static byte unitBit(Unit unit) {
    return switch (unit) {
      case TOKENS -> UNIT_TOKENS;
      case NANO_USD -> UNIT_NANO_USD;
      case REQUESTS -> UNIT_REQUESTS;
    };
  }

  /** The ring slot of absolute bucket {@code index}. */
  private static int slot(long index) {
    return (int) Math.floorMod(index, (long) BUCKETS);
  }

  private static long bucketMillis(long lengthMillis) {
    return Math.max(1, lengthMillis / BUCKETS);
  }

  // ---- state, for serialization (Hazelcast Compact) -------------------------------------------

  /**
   * The whole state in flat arrays, one entry per window; the counters of each unit are laid out
   * window after window, for the windows that count that unit only ({@link #BUCKETS} per sliding
   * window, 1 per month window).
   *
   * @param names window names
   * @param lengthMillis sliding length (for month: 31 days)
   * @param month true for calendar-month windows
   * @param head newest bucket index (sliding) or period start epoch millis (month)
   * @param units the units each window counts, bits of {@link #UNIT_TOKENS}, {@link #UNIT_NANO_USD}
   *     and {@link #UNIT_REQUESTS}; zero when it counts none yet
   * @param tokens token counters
   * @param nanoUsd nano-USD counters
   * @param requests request counters
   * @param lastTouchedMillis last change
   */
  public record State(
      String[] names,
      long[] lengthMillis,
      boolean[] month,
      long[] head,
      byte[] units,
      long[] tokens,
      long[] nanoUsd,
      long[] requests,
      long lastTouchedMillis) {

    /** A state without request counters (how the formats before requests stored a record). */
    public State(
        String[] names,
        long[] lengthMillis,
        boolean[] month,
        long[] head,
        byte[] units,
        long[] tokens,
        long[] nanoUsd,
        long lastTouchedMillis) {
      this(
          names, lengthMillis, month, head, units, tokens, nanoUsd, new long[0], lastTouchedMillis);
    }

    /** Units for {@code n} windows that count both (how the older formats stored every window). */
    public static byte[] bothUnits(int n) {
      byte[] units = new byte[n];
      java.util.Arrays.fill(units, UNITS_BOTH);
      return units;
    }
  }

  /** This record's state. */
  public synchronized State state() {
    int n = layout.size();
    long[] head = new long[n];
    byte[] units = new byte[n];
    long[] lengths = new long[n];
    boolean[] month = new boolean[n];
    int[] counters = new int[3];
    for (int w = 0; w < n; w++) {
      units[w] = layout.units(w);
      lengths[w] = layout.lengthMillis(w);
      month[w] = layout.month(w);
      int size = month[w] ? 1 : BUCKETS;
      for (int u = 0; u < 3; u++) {
        if ((units[w] & (1 << u)) != 0) {
          counters[u] += size;
        }
      }
    }
    long[][] byUnit = {new long[counters[0]], new long[counters[1]], new long[counters[2]]};
    int[] at = new int[3];
    for (int w = 0; w < n; w++) {
      int off = offset(w);
      head[w] = data[off + HEAD];
      int nu = layout.unitCount(w);
      int size = month[w] ? 1 : BUCKETS;
      int c = 0;
      for (int u = 0; u < 3; u++) {
        if ((units[w] & (1 << u)) == 0) {
          continue;
        }
        long[] out = byUnit[u];
        if (month[w]) {
          out[at[u]] = data[off + MONTH_COUNTERS + c];
        } else {
          int e = 0;
          for (long m = data[off + MASK]; m != 0; m &= m - 1) {
            out[at[u] + Long.numberOfTrailingZeros(m)] = data[off + SLIDING_ENTRIES + e * nu + c];
            e++;
          }
        }
        at[u] += size;
        c++;
      }
    }
    return new State(
        layout.names(),
        lengths,
        month,
        head,
        units,
        byUnit[0],
        byUnit[1],
        byUnit[2],
        lastTouchedMillis);
  }

  /**
   * Rebuilds a record from {@link #state()}.
   *
   * @throws IllegalArgumentException if the arrays do not fit together
   */
  public static UsageRecord fromState(State s) {
    int n = s.names().length;
    if (s.lengthMillis().length != n
        || s.month().length != n
        || s.head().length != n
        || s.units().length != n) {
      throw new IllegalArgumentException("usage record state: arrays of different lengths");
    }
    long[][] byUnit = {s.tokens(), s.nanoUsd(), s.requests()};
    int[] at = new int[3];
    long[][] segments = new long[n][];
    int total = 0;
    for (int w = 0; w < n; w++) {
      byte units = s.units()[w];
      if ((units & ~UNITS_ALL) != 0) {
        throw new IllegalArgumentException("usage record state: units " + units);
      }
      boolean month = s.month()[w];
      int size = month ? 1 : BUCKETS;
      int nu = Integer.bitCount(units);
      long[][] columns = new long[nu][];
      int c = 0;
      for (int u = 0; u < 3; u++) {
        if ((units & (1 << u)) != 0) {
          if (at[u] + size > byUnit[u].length) {
            throw new IllegalArgumentException("usage record state: too few counters");
          }
          columns[c++] = Arrays.copyOfRange(byUnit[u], at[u], at[u] + size);
          at[u] += size;
        }
      }
      segments[w] =
          month ? monthSegment(s.head()[w], columns) : slidingSegment(s.head()[w], columns);
      total += segments[w].length;
    }
    long[] data = total == 0 ? NO_DATA : new long[total];
    int off = 0;
    for (long[] seg : segments) {
      System.arraycopy(seg, 0, data, off, seg.length);
      off += seg.length;
    }
    RecordLayout layout =
        n == 0
            ? RecordLayout.EMPTY
            : RecordLayout.of(s.names(), s.lengthMillis(), s.month(), s.units());
    return new UsageRecord(layout, data, s.lastTouchedMillis());
  }

  private static long[] monthSegment(long head, long[][] columns) {
    long[] seg = new long[MONTH_COUNTERS + columns.length];
    seg[HEAD] = head;
    for (int c = 0; c < columns.length; c++) {
      seg[MONTH_COUNTERS + c] = columns[c][0];
    }
    return seg;
  }

  /** A sliding window's segment: its slots with a non-zero counter, in slot order. */
  private static long[] slidingSegment(long head, long[][] columns) {
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

  static long monthStart(long epochMillis) {
    LocalDate d =
        Instant.ofEpochMilli(epochMillis).atZone(ZoneOffset.UTC).toLocalDate().withDayOfMonth(1);
    return d.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
  }

  static long nextMonthStart(long epochMillis) {
    LocalDate d =
        Instant.ofEpochMilli(epochMillis)
            .atZone(ZoneOffset.UTC)
            .toLocalDate()
            .withDayOfMonth(1)
            .plusMonths(1);
    return d.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
  }
}
