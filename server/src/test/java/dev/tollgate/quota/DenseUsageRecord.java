package dev.tollgate.quota;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * The dense usage record Tollgate kept before the sparse layout of {@link UsageRecord}: per window,
 * one full ring of counters per unit. A reference for {@code UsageRecordEquivalenceTest}, which
 * checks that both give the same answers and the same state for the same operations.
 */
final class DenseUsageRecord {
  /** Buckets per sliding window: the error bound is one bucket, 1/20 of the window. */
  static final int BUCKETS = 20;

  /** In {@link UsageRecord.State#units()}: the window counts tokens. */
  static final byte UNIT_TOKENS = 1;

  /** In {@link UsageRecord.State#units()}: the window counts nano-USD. */
  static final byte UNIT_NANO_USD = 2;

  /**
   * In {@link UsageRecord.State#units()}: the window counts both (every window of the older
   * formats).
   */
  static final byte UNITS_BOTH = UNIT_TOKENS | UNIT_NANO_USD;

  /** In {@link UsageRecord.State#units()}: the window counts requests. */
  static final byte UNIT_REQUESTS = 4;

  /** Every unit bit a window may have. */
  static final byte UNITS_ALL = UNITS_BOTH | UNIT_REQUESTS;

  private WindowState[] windows;
  private long lastTouchedMillis;

  private DenseUsageRecord(WindowState[] windows, long lastTouchedMillis) {
    this.windows = windows;
    this.lastTouchedMillis = lastTouchedMillis;
  }

  private static final WindowState[] NO_WINDOWS = new WindowState[0];

  /** A record with no usage. */
  static DenseUsageRecord empty() {
    return new DenseUsageRecord(NO_WINDOWS, 0);
  }

  /**
   * Reserves {@code charge} on every limit if all enforced limits have room (or unconditionally
   * when {@code enforce} is false); otherwise changes nothing. Shadow limits are counted like the
   * others but never refuse.
   */
  KeyReserveResult reserve(List<Limit> limits, Charge charge, long now, boolean enforce) {
    addWindows(limits, now);
    for (Limit l : limits) {
      find(l.window().name()).track(l.unit());
    }
    advanceAll(now);
    WindowStatus binding = null;
    Duration bindingWait = null;
    boolean neverFits = false;
    if (enforce) {
      for (Limit l : limits) {
        if (l.shadow()) {
          continue;
        }
        WindowState w = find(l.window().name());
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
  void adjust(Charge reserved, Charge actual, long reservedAt, long now) {
    advanceAll(now);
    long dTokens = actual.tokens() - reserved.tokens();
    long dUsd = actual.nanoUsd() - reserved.nanoUsd();
    long dRequests = actual.requests() - reserved.requests();
    if (dTokens == 0 && dUsd == 0 && dRequests == 0) {
      return;
    }
    for (WindowState w : windows) {
      w.adjust(dTokens, dUsd, dRequests, reservedAt);
    }
    lastTouchedMillis = Math.max(lastTouchedMillis, now);
  }

  /** The status of each limit at {@code now} (does not change usage). */
  List<WindowStatus> status(List<Limit> limits, long now) {
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
  long lastTouchedMillis() {
    return lastTouchedMillis;
  }

  /** The longest window tracked (a month counts as 31 days); zero when none. */
  Duration longestWindow() {
    Duration d = Duration.ZERO;
    for (WindowState w : windows) {
      if (w.length().compareTo(d) > 0) {
        d = w.length();
      }
    }
    return d;
  }

  /** True when nothing is counted any more at {@code now}. */
  boolean isEmpty(long now) {
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

  /** Adds the windows of {@code limits} not yet tracked, growing the array once. */
  private void addWindows(List<Limit> limits, long now) {
    int missing = 0;
    for (int i = 0; i < limits.size(); i++) {
      if (isNewWindow(limits, i)) {
        missing++;
      }
    }
    if (missing == 0) {
      return;
    }
    int n = windows.length;
    WindowState[] grown = java.util.Arrays.copyOf(windows, n + missing);
    for (int i = 0; i < limits.size(); i++) {
      if (isNewWindow(limits, i)) {
        Window window = limits.get(i).window();
        grown[n++] =
            window.calendarMonth()
                ? WindowState.month(window.name(), now)
                : WindowState.sliding(window.name(), window.length().toMillis(), now);
      }
    }
    windows = grown;
  }

  /** True when limit {@code i}'s window is not tracked and no earlier limit names it. */
  private boolean isNewWindow(List<Limit> limits, int i) {
    String name = limits.get(i).window().name();
    if (find(name) != null) {
      return false;
    }
    for (int j = 0; j < i; j++) {
      if (limits.get(j).window().name().equals(name)) {
        return false;
      }
    }
    return true;
  }

  static long addSaturated(long a, long b) {
    long r = a + b;
    return ((a ^ r) & (b ^ r)) < 0 ? (r < 0 ? Long.MAX_VALUE : Long.MIN_VALUE) : r;
  }

  /** This record's state. */
  UsageRecord.State state() {
    int n = windows.length;
    String[] names = new String[n];
    long[] lengths = new long[n];
    boolean[] month = new boolean[n];
    long[] head = new long[n];
    byte[] units = new byte[n];
    int tokenCounters = 0;
    int usdCounters = 0;
    int requestCounters = 0;
    for (WindowState w : windows) {
      tokenCounters += w.tokens == null ? 0 : w.tokens.length;
      usdCounters += w.usd == null ? 0 : w.usd.length;
      requestCounters += w.requests == null ? 0 : w.requests.length;
    }
    long[] tokens = new long[tokenCounters];
    long[] usd = new long[usdCounters];
    long[] requests = new long[requestCounters];
    int tokenOff = 0;
    int usdOff = 0;
    int requestOff = 0;
    for (int i = 0; i < n; i++) {
      WindowState w = windows[i];
      names[i] = w.name;
      lengths[i] = w.lengthMillis;
      month[i] = w.month;
      head[i] = w.head;
      units[i] = w.units();
      if (w.tokens != null) {
        System.arraycopy(w.tokens, 0, tokens, tokenOff, w.tokens.length);
        tokenOff += w.tokens.length;
      }
      if (w.usd != null) {
        System.arraycopy(w.usd, 0, usd, usdOff, w.usd.length);
        usdOff += w.usd.length;
      }
      if (w.requests != null) {
        System.arraycopy(w.requests, 0, requests, requestOff, w.requests.length);
        requestOff += w.requests.length;
      }
    }
    return new UsageRecord.State(
        names, lengths, month, head, units, tokens, usd, requests, lastTouchedMillis);
  }

  /**
   * Rebuilds a record from {@link #state()}.
   *
   * @throws IllegalArgumentException if the arrays do not fit together
   */
  static DenseUsageRecord fromState(UsageRecord.State s) {
    int n = s.names().length;
    if (s.lengthMillis().length != n
        || s.month().length != n
        || s.head().length != n
        || s.units().length != n) {
      throw new IllegalArgumentException("usage record state: arrays of different lengths");
    }
    WindowState[] ws = n == 0 ? NO_WINDOWS : new WindowState[n];
    int tokenOff = 0;
    int usdOff = 0;
    int requestOff = 0;
    for (int i = 0; i < n; i++) {
      int size = s.month()[i] ? 1 : BUCKETS;
      byte units = s.units()[i];
      if ((units & ~UNITS_ALL) != 0) {
        throw new IllegalArgumentException("usage record state: units " + units);
      }
      long[] t = null;
      if ((units & UNIT_TOKENS) != 0) {
        t = counters(s.tokens(), tokenOff, size);
        tokenOff += size;
      }
      long[] u = null;
      if ((units & UNIT_NANO_USD) != 0) {
        u = counters(s.nanoUsd(), usdOff, size);
        usdOff += size;
      }
      long[] q = null;
      if ((units & UNIT_REQUESTS) != 0) {
        q = counters(s.requests(), requestOff, size);
        requestOff += size;
      }
      ws[i] =
          new WindowState(
              s.names()[i].intern(), s.lengthMillis()[i], s.month()[i], s.head()[i], t, u, q);
    }
    return new DenseUsageRecord(ws, s.lastTouchedMillis());
  }

  private static long[] counters(long[] all, int off, int size) {
    if (off + size > all.length) {
      throw new IllegalArgumentException("usage record state: too few counters");
    }
    return java.util.Arrays.copyOfRange(all, off, off + size);
  }

  /** One window's counters: null for a unit it does not count. */
  private static final class WindowState {
    final String name;
    final long lengthMillis;
    final boolean month;

    /** sliding: absolute index of the newest bucket; month: period start (epoch millis). */
    long head;

    long[] tokens;
    long[] usd;
    long[] requests;

    WindowState(
        String name,
        long lengthMillis,
        boolean month,
        long head,
        long[] tokens,
        long[] usd,
        long[] requests) {
      this.name = name;
      this.lengthMillis = lengthMillis;
      this.month = month;
      this.head = head;
      this.tokens = tokens;
      this.usd = usd;
      this.requests = requests;
    }

    static WindowState sliding(String name, long lengthMillis, long now) {
      long bucket = bucketMillis(lengthMillis);
      return new WindowState(
          name, lengthMillis, false, Math.floorDiv(now, bucket), null, null, null);
    }

    static WindowState month(String name, long now) {
      return new WindowState(
          name, Window.MONTH_NOMINAL.toMillis(), true, monthStart(now), null, null, null);
    }

    /** Starts counting {@code unit} (from zero) unless it already does. */
    void track(Unit unit) {
      int size = month ? 1 : BUCKETS;
      switch (unit) {
        case TOKENS -> {
          if (tokens == null) {
            tokens = new long[size];
          }
        }
        case NANO_USD -> {
          if (usd == null) {
            usd = new long[size];
          }
        }
        case REQUESTS -> {
          if (requests == null) {
            requests = new long[size];
          }
        }
      }
    }

    byte units() {
      return (byte)
          ((tokens == null ? 0 : UNIT_TOKENS)
              | (usd == null ? 0 : UNIT_NANO_USD)
              | (requests == null ? 0 : UNIT_REQUESTS));
    }

    long[] counters(Unit unit) {
      return switch (unit) {
        case TOKENS -> tokens;
        case NANO_USD -> usd;
        case REQUESTS -> requests;
      };
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
          if (tokens != null) {
            tokens[0] = 0;
          }
          if (usd != null) {
            usd[0] = 0;
          }
          if (requests != null) {
            requests[0] = 0;
          }
        }
        return;
      }
      long idx = Math.floorDiv(now, bucket());
      if (idx <= head) {
        return;
      }
      if (idx - head >= BUCKETS) {
        if (tokens != null) {
          java.util.Arrays.fill(tokens, 0);
        }
        if (usd != null) {
          java.util.Arrays.fill(usd, 0);
        }
        if (requests != null) {
          java.util.Arrays.fill(requests, 0);
        }
      } else {
        for (long i = head + 1; i <= idx; i++) {
          int slot = (int) Math.floorMod(i, (long) BUCKETS);
          if (tokens != null) {
            tokens[slot] = 0;
          }
          if (usd != null) {
            usd[slot] = 0;
          }
          if (requests != null) {
            requests[slot] = 0;
          }
        }
      }
      head = idx;
    }

    long used(Unit unit) {
      long[] a = counters(unit);
      if (a == null) {
        return 0;
      }
      long sum = 0;
      for (long v : a) {
        sum = addSaturated(sum, v);
      }
      return sum;
    }

    boolean isZero() {
      return allZero(tokens) && allZero(usd) && allZero(requests);
    }

    private static boolean allZero(long[] a) {
      if (a != null) {
        for (long v : a) {
          if (v != 0) {
            return false;
          }
        }
      }
      return true;
    }

    private boolean nonZero(int slot) {
      return (tokens != null && tokens[slot] != 0)
          || (usd != null && usd[slot] != 0)
          || (requests != null && requests[slot] != 0);
    }

    void add(Charge c, long now) {
      int slot = month ? 0 : (int) Math.floorMod(head, (long) BUCKETS);
      if (tokens != null) {
        tokens[slot] = addSaturated(tokens[slot], c.tokens());
      }
      if (usd != null) {
        usd[slot] = addSaturated(usd[slot], c.nanoUsd());
      }
      if (requests != null) {
        requests[slot] = addSaturated(requests[slot], c.requests());
      }
    }

    void adjust(long dTokens, long dUsd, long dRequests, long reservedAt) {
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
      if (tokens != null) {
        tokens[slot] = Math.max(0, addSaturated(tokens[slot], dTokens));
      }
      if (usd != null) {
        usd[slot] = Math.max(0, addSaturated(usd[slot], dUsd));
      }
      if (requests != null) {
        requests[slot] = Math.max(0, addSaturated(requests[slot], dRequests));
      }
    }

    /** How long until {@code need} units of {@code unit} have rolled off. */
    Duration waitFor(Unit unit, long need, long now) {
      if (month) {
        return Duration.ofMillis(nextMonthStart(now) - now);
      }
      long[] a = counters(unit);
      if (a == null) {
        return Duration.ZERO; // nothing counted
      }
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
        if (nonZero(slot)) {
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
