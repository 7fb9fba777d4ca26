package dev.tollgate.quota;

import static dev.tollgate.quota.Segments.ALL_SLOTS;
import static dev.tollgate.quota.Segments.HEAD;
import static dev.tollgate.quota.Segments.MASK;
import static dev.tollgate.quota.Segments.MONTH_COUNTERS;
import static dev.tollgate.quota.Segments.SLIDING_ENTRIES;
import static dev.tollgate.quota.Segments.column;
import static dev.tollgate.quota.Segments.slot;

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
 * lengths and units are a {@code RecordLayout} shared by every record with the same windows; the
 * record itself holds that layout, when it was last touched and one {@code long[]} of its windows'
 * heads and counters ({@code Segments}), where a sliding window's ring keeps only its non-zero
 * buckets. Counters are exact 64-bit values, saturating at {@link Long#MAX_VALUE}.
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

  /** How many longs hold this record's heads and counters (what its size depends on). */
  synchronized int storedLongs() {
    return data.length;
  }

  /** The layout of this record's windows (shared). */
  synchronized RecordLayout layout() {
    return layout;
  }

  static long addSaturated(long a, long b) {
    long r = a + b;
    return ((a ^ r) & (b ^ r)) < 0 ? (r < 0 ? Long.MAX_VALUE : Long.MIN_VALUE) : r;
  }

  // ---- windows --------------------------------------------------------------------------------

  /** Adds the windows of {@code limits} not yet tracked, and their units to those that are. */
  private void countAll(List<Limit> limits, long now) {
    RecordLayout target = layout.counting(limits);
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
    int off = 0;
    for (int w = 0; w < target.size(); w++) {
      if (w < n) {
        segments[w] = Segments.widen(layout, data, w, off, target.units(w));
        off += Segments.length(layout, data, w, off);
      } else if (target.month(w)) {
        segments[w] = new long[MONTH_COUNTERS + target.unitCount(w)];
        segments[w][HEAD] = monthStart(now);
      } else {
        segments[w] = new long[SLIDING_ENTRIES];
        segments[w][HEAD] = Math.floorDiv(now, bucketMillis(target.lengthMillis(w)));
      }
    }
    long[] out = Segments.concat(segments);
    layout = target;
    data = out;
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
      data = Segments.remove(layout, data, w, off, mask & cleared);
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
    data = Segments.set(layout, data, w, off, slot, values);
  }

  private long counter(int w, int off, int slot, int c) {
    return Segments.counter(layout, data, w, off, slot, c);
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
    return Segments.offset(layout, data, w);
  }

  private static byte unitBit(Unit unit) {
    return RecordLayout.unitBit(unit);
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
      int size = month[w] ? 1 : BUCKETS;
      int c = 0;
      for (int u = 0; u < 3; u++) {
        if ((units[w] & (1 << u)) == 0) {
          continue;
        }
        Segments.copyDense(layout, data, w, off, c, byUnit[u], at[u]);
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
          month ? Segments.month(s.head()[w], columns) : Segments.sliding(s.head()[w], columns);
    }
    long[] data = n == 0 ? NO_DATA : Segments.concat(segments);
    RecordLayout layout =
        n == 0
            ? RecordLayout.EMPTY
            : RecordLayout.of(s.names(), s.lengthMillis(), s.month(), s.units());
    return new UsageRecord(layout, data, s.lastTouchedMillis());
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
