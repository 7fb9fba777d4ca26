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
 *
 * <p>A window counts only the units that some limit on it uses: the counters of a unit are
 * allocated the first time a limit of that unit is reserved against the window, and a charge's
 * other units are not recorded there (a default tier's token windows hold no USD counters). The
 * status of a unit a window never tracked is 0 used. So a limit of a new unit added to an existing
 * window by a config change counts from then on, not from what was charged before it.
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

  private WindowState[] windows;
  private long lastTouchedMillis;

  private UsageRecord(WindowState[] windows, long lastTouchedMillis) {
    this.windows = windows;
    this.lastTouchedMillis = lastTouchedMillis;
  }

  private static final WindowState[] NO_WINDOWS = new WindowState[0];

  /** A record with no usage. */
  public static UsageRecord empty() {
    return new UsageRecord(NO_WINDOWS, 0);
  }

  /**
   * Reserves {@code charge} on every limit if all enforced limits have room (or unconditionally
   * when {@code enforce} is false); otherwise changes nothing. Shadow limits are counted like the
   * others but never refuse.
   */
  public KeyReserveResult reserve(List<Limit> limits, Charge charge, long now, boolean enforce) {
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
  public void adjust(Charge reserved, Charge actual, long reservedAt, long now) {
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
  public State state() {
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
    return new State(names, lengths, month, head, units, tokens, usd, requests, lastTouchedMillis);
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
    return new UsageRecord(ws, s.lastTouchedMillis());
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
