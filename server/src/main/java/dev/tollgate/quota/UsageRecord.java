package dev.tollgate.quota;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * The usage of one quota key: per window, a ring of bucket counters (sliding windows) or one
 * counter for the current calendar month (UTC). Plain, unsynchronized, self-contained state: the
 * in-memory store changes it inside {@code ConcurrentHashMap.compute}, the Hazelcast store inside
 * an entry processor on the key's owner.
 *
 * <p>A sliding window of length L has {@value #BUCKETS} buckets of L/{@value #BUCKETS}; usage is
 * the sum of the buckets that overlap {@code (now - L, now]}, so it over-counts by at most one
 * bucket's worth of time (the oldest bucket is counted whole until it leaves).
 */
public final class UsageRecord {
  /** Buckets per sliding window: the error bound is one bucket, 1/20 of the window. */
  public static final int BUCKETS = 20;

  private final List<WindowState> windows;
  private long lastTouchedMillis;

  private UsageRecord(List<WindowState> windows, long lastTouchedMillis) {
    this.windows = windows;
    this.lastTouchedMillis = lastTouchedMillis;
  }

  /** A record with no usage. */
  public static UsageRecord empty() {
    return new UsageRecord(new ArrayList<>(4), 0);
  }

  /**
   * Reserves {@code charge} on every limit if all have room (or unconditionally when {@code
   * enforce} is false); otherwise changes nothing.
   */
  public KeyReserveResult reserve(List<Limit> limits, Charge charge, long now, boolean enforce) {
    for (Limit l : limits) {
      window(l.window(), now, true);
    }
    advanceAll(now);
    WindowStatus binding = null;
    Duration bindingWait = null;
    boolean neverFits = false;
    if (enforce) {
      for (Limit l : limits) {
        WindowState w = window(l.window(), now, false);
        long used = w.used(l.unit());
        long amount = l.amountOf(charge);
        if (amount > 0 && addSaturated(used, amount) > l.max()) {
          boolean never = amount > l.max();
          Duration wait =
              never
                  ? w.resetIn(now)
                  : w.waitFor(l.unit(), addSaturated(used, amount) - l.max(), now);
          if (wait.isZero() || wait.isNegative()) {
            wait = Duration.ofMillis(1);
          }
          if (binding == null
              || (never && !neverFits)
              || (never == neverFits && wait.compareTo(bindingWait) > 0)) {
            binding = w.status(l, now);
            bindingWait = wait;
            neverFits = never;
          }
        }
      }
    }
    if (binding != null) {
      return new KeyReserveResult.Refused(binding, bindingWait, neverFits, status(limits, now));
    }
    for (WindowState w : windows) {
      w.add(charge, now);
    }
    lastTouchedMillis = Math.max(lastTouchedMillis, now);
    return new KeyReserveResult.Granted(status(limits, now));
  }

  /**
   * Adds {@code actual - reserved} to the bucket holding {@code reservedAt} (when still inside the
   * window), never below zero.
   */
  public void adjust(Charge reserved, Charge actual, long reservedAt, long now) {
    advanceAll(now);
    long dTokens = actual.tokens() - reserved.tokens();
    long dUsd = actual.nanoUsd() - reserved.nanoUsd();
    if (dTokens == 0 && dUsd == 0) {
      return;
    }
    for (WindowState w : windows) {
      w.adjust(dTokens, dUsd, reservedAt);
    }
    lastTouchedMillis = Math.max(lastTouchedMillis, now);
  }

  /** The status of each limit at {@code now} (does not change usage). */
  public List<WindowStatus> status(List<Limit> limits, long now) {
    List<WindowStatus> out = new ArrayList<>(limits.size());
    for (Limit l : limits) {
      WindowState w = find(l.window().name());
      if (w == null) {
        out.add(new WindowStatus(l, 0, l.max(), Duration.ZERO));
      } else {
        w.advance(now);
        out.add(w.status(l, now));
      }
    }
    return out;
  }

  /** When usage was last added or corrected. */
  public long lastTouchedMillis() {
    return lastTouchedMillis;
  }

  /** The longest window tracked (a month counts as 31 days); zero when none. */
  public Duration longestWindow() {
    Duration d = Duration.ZERO;
    for (WindowState w : windows) {
      if (w.length().compareTo(d) > 0) {
        d = w.length();
      }
    }
    return d;
  }

  /** True when nothing is counted any more at {@code now}. */
  public boolean isEmpty(long now) {
    for (WindowState w : windows) {
      w.advance(now);
      if (!w.isZero()) {
        return false;
      }
    }
    return true;
  }

  private void advanceAll(long now) {
    for (WindowState w : windows) {
      w.advance(now);
    }
  }

  private WindowState find(String name) {
    for (WindowState w : windows) {
      if (w.name.equals(name)) {
        return w;
      }
    }
    return null;
  }

  private WindowState window(Window window, long now, boolean create) {
    WindowState w = find(window.name());
    if (w == null && create) {
      w =
          window.calendarMonth()
              ? WindowState.month(window.name(), now)
              : WindowState.sliding(window.name(), window.length().toMillis(), now);
      windows.add(w);
    }
    return w;
  }

  static long addSaturated(long a, long b) {
    long r = a + b;
    return ((a ^ r) & (b ^ r)) < 0 ? (r < 0 ? Long.MAX_VALUE : Long.MIN_VALUE) : r;
  }

  // ---- state, for serialization (Hazelcast Compact) -------------------------------------------

  /**
   * The whole state in flat arrays, one entry per window; counters are laid out window after window
   * ({@link #BUCKETS} per sliding window, 1 per month window).
   *
   * @param names window names
   * @param lengthMillis sliding length (for month: 31 days)
   * @param month true for calendar-month windows
   * @param head newest bucket index (sliding) or period start epoch millis (month)
   * @param tokens token counters
   * @param nanoUsd nano-USD counters
   * @param lastTouchedMillis last change
   */
  public record State(
      String[] names,
      long[] lengthMillis,
      boolean[] month,
      long[] head,
      long[] tokens,
      long[] nanoUsd,
      long lastTouchedMillis) {}

  /** This record's state. */
  public State state() {
    int n = windows.size();
    String[] names = new String[n];
    long[] lengths = new long[n];
    boolean[] month = new boolean[n];
    long[] head = new long[n];
    int counters = 0;
    for (WindowState w : windows) {
      counters += w.tokens.length;
    }
    long[] tokens = new long[counters];
    long[] usd = new long[counters];
    int off = 0;
    for (int i = 0; i < n; i++) {
      WindowState w = windows.get(i);
      names[i] = w.name;
      lengths[i] = w.lengthMillis;
      month[i] = w.month;
      head[i] = w.head;
      System.arraycopy(w.tokens, 0, tokens, off, w.tokens.length);
      System.arraycopy(w.usd, 0, usd, off, w.usd.length);
      off += w.tokens.length;
    }
    return new State(names, lengths, month, head, tokens, usd, lastTouchedMillis);
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
        || s.tokens().length != s.nanoUsd().length) {
      throw new IllegalArgumentException("usage record state: arrays of different lengths");
    }
    List<WindowState> ws = new ArrayList<>(n);
    int off = 0;
    for (int i = 0; i < n; i++) {
      int size = s.month()[i] ? 1 : BUCKETS;
      if (off + size > s.tokens().length) {
        throw new IllegalArgumentException("usage record state: too few counters");
      }
      long[] t = java.util.Arrays.copyOfRange(s.tokens(), off, off + size);
      long[] u = java.util.Arrays.copyOfRange(s.nanoUsd(), off, off + size);
      off += size;
      ws.add(new WindowState(s.names()[i], s.lengthMillis()[i], s.month()[i], s.head()[i], t, u));
    }
    return new UsageRecord(ws, s.lastTouchedMillis());
  }

  /** One window's counters. */
  private static final class WindowState {
    final String name;
    final long lengthMillis;
    final boolean month;

    /** sliding: absolute index of the newest bucket; month: period start (epoch millis). */
    long head;

    final long[] tokens;
    final long[] usd;

    WindowState(
        String name, long lengthMillis, boolean month, long head, long[] tokens, long[] usd) {
      this.name = name;
      this.lengthMillis = lengthMillis;
      this.month = month;
      this.head = head;
      this.tokens = tokens;
      this.usd = usd;
    }

    static WindowState sliding(String name, long lengthMillis, long now) {
      long bucket = bucketMillis(lengthMillis);
      return new WindowState(
          name,
          lengthMillis,
          false,
          Math.floorDiv(now, bucket),
          new long[BUCKETS],
          new long[BUCKETS]);
    }

    static WindowState month(String name, long now) {
      return new WindowState(
          name, Window.MONTH_NOMINAL.toMillis(), true, monthStart(now), new long[1], new long[1]);
    }

    static long bucketMillis(long lengthMillis) {
      return Math.max(1, lengthMillis / BUCKETS);
    }

    Duration length() {
      return Duration.ofMillis(lengthMillis);
    }

    long bucket() {
      return bucketMillis(lengthMillis);
    }

    void advance(long now) {
      if (month) {
        long start = monthStart(now);
        if (start > head) {
          head = start;
          tokens[0] = 0;
          usd[0] = 0;
        }
        return;
      }
      long idx = Math.floorDiv(now, bucket());
      if (idx <= head) {
        return;
      }
      if (idx - head >= BUCKETS) {
        java.util.Arrays.fill(tokens, 0);
        java.util.Arrays.fill(usd, 0);
      } else {
        for (long i = head + 1; i <= idx; i++) {
          int slot = (int) Math.floorMod(i, (long) BUCKETS);
          tokens[slot] = 0;
          usd[slot] = 0;
        }
      }
      head = idx;
    }

    long used(Unit unit) {
      long[] a = unit == Unit.TOKENS ? tokens : usd;
      long sum = 0;
      for (long v : a) {
        sum = addSaturated(sum, v);
      }
      return sum;
    }

    boolean isZero() {
      for (int i = 0; i < tokens.length; i++) {
        if (tokens[i] != 0 || usd[i] != 0) {
          return false;
        }
      }
      return true;
    }

    void add(Charge c, long now) {
      int slot = month ? 0 : (int) Math.floorMod(head, (long) BUCKETS);
      tokens[slot] = addSaturated(tokens[slot], c.tokens());
      usd[slot] = addSaturated(usd[slot], c.nanoUsd());
    }

    void adjust(long dTokens, long dUsd, long reservedAt) {
      int slot;
      if (month) {
        if (monthStart(reservedAt) != head) {
          return;
        }
        slot = 0;
      } else {
        long idx = Math.floorDiv(reservedAt, bucket());
        if (idx > head) {
          idx = head;
        }
        if (idx <= head - BUCKETS) {
          return; // that bucket has left the window
        }
        slot = (int) Math.floorMod(idx, (long) BUCKETS);
      }
      tokens[slot] = Math.max(0, addSaturated(tokens[slot], dTokens));
      usd[slot] = Math.max(0, addSaturated(usd[slot], dUsd));
    }

    /** How long until {@code need} units of {@code unit} have rolled off. */
    Duration waitFor(Unit unit, long need, long now) {
      if (month) {
        return Duration.ofMillis(nextMonthStart(now) - now);
      }
      long[] a = unit == Unit.TOKENS ? tokens : usd;
      long freed = 0;
      for (long i = head - BUCKETS + 1; i <= head; i++) {
        freed = addSaturated(freed, a[(int) Math.floorMod(i, (long) BUCKETS)]);
        if (freed >= need) {
          return Duration.ofMillis((i + BUCKETS) * bucket() - now);
        }
      }
      return Duration.ofMillis((head + BUCKETS) * bucket() - now);
    }

    /** Time until everything counted now has rolled off (sliding) or the period ends (month). */
    Duration resetIn(long now) {
      if (month) {
        return Duration.ofMillis(nextMonthStart(now) - now);
      }
      for (long i = head; i > head - BUCKETS; i--) {
        int slot = (int) Math.floorMod(i, (long) BUCKETS);
        if (tokens[slot] != 0 || usd[slot] != 0) {
          return Duration.ofMillis(Math.max(0, (i + BUCKETS) * bucket() - now));
        }
      }
      return Duration.ZERO;
    }

    WindowStatus status(Limit l, long now) {
      long used = used(l.unit());
      return new WindowStatus(l, used, Math.max(0, l.max() - used), resetIn(now));
    }
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
