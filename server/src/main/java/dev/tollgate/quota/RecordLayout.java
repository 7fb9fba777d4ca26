package dev.tollgate.quota;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The windows of a usage record and the units each counts: what every record of a tier's users has
 * in common. Immutable and shared: {@link #of} hands out one instance per distinct layout (up to
 * {@link #MAX_SHARED} of them), so a record pays one reference for it, not its names and lengths.
 */
final class RecordLayout {
  /** The most distinct layouts shared; past it, new layouts are used unshared (still correct). */
  static final int MAX_SHARED = 1024;

  private static final ConcurrentHashMap<RecordLayout, RecordLayout> SHARED =
      new ConcurrentHashMap<>();

  /** No windows. */
  static final RecordLayout EMPTY = of(new String[0], new long[0], new boolean[0], new byte[0]);

  private final String[] names;
  private final long[] lengthMillis;
  private final boolean[] month;
  private final byte[] units;
  private final int hash;

  private RecordLayout(String[] names, long[] lengthMillis, boolean[] month, byte[] units) {
    this.names = names;
    this.lengthMillis = lengthMillis;
    this.month = month;
    this.units = units;
    this.hash =
        31
                * (31 * (31 * Arrays.hashCode(names) + Arrays.hashCode(lengthMillis))
                    + Arrays.hashCode(month))
            + Arrays.hashCode(units);
  }

  /** The shared layout with these windows (the arrays are copied, names interned). */
  static RecordLayout of(String[] names, long[] lengthMillis, boolean[] month, byte[] units) {
    String[] n = new String[names.length];
    for (int i = 0; i < n.length; i++) {
      n[i] = names[i].intern();
    }
    RecordLayout candidate =
        new RecordLayout(n, lengthMillis.clone(), month.clone(), units.clone());
    RecordLayout shared = SHARED.get(candidate);
    if (shared != null) {
      return shared;
    }
    if (SHARED.size() >= MAX_SHARED) {
      return candidate;
    }
    shared = SHARED.putIfAbsent(candidate, candidate);
    return shared == null ? candidate : shared;
  }

  /** The number of windows. */
  int size() {
    return names.length;
  }

  /** The index of the window named {@code name}, or -1. */
  int find(String name) {
    for (int i = 0; i < names.length; i++) {
      if (names[i] == name || names[i].equals(name)) {
        return i;
      }
    }
    return -1;
  }

  String name(int w) {
    return names[w];
  }

  long lengthMillis(int w) {
    return lengthMillis[w];
  }

  boolean month(int w) {
    return month[w];
  }

  /** The unit bits window {@code w} counts. */
  byte units(int w) {
    return units[w];
  }

  /** How many units window {@code w} counts. */
  int unitCount(int w) {
    return Integer.bitCount(units[w]);
  }

  /** The longest window (a month counts as 31 days); zero when none. */
  Duration longest() {
    long max = 0;
    for (long l : lengthMillis) {
      max = Math.max(max, l);
    }
    return Duration.ofMillis(max);
  }

  /** This layout with window {@code w} also counting {@code unit} bits. */
  RecordLayout withUnits(int w, byte unit) {
    byte[] u = units.clone();
    u[w] = (byte) (u[w] | unit);
    return of(names, lengthMillis, month, u);
  }

  /** This layout with a window appended, counting no unit yet. */
  RecordLayout withWindow(String name, long lengthMillis, boolean month) {
    int n = names.length;
    String[] names2 = Arrays.copyOf(names, n + 1);
    long[] lengths2 = Arrays.copyOf(this.lengthMillis, n + 1);
    boolean[] month2 = Arrays.copyOf(this.month, n + 1);
    names2[n] = name;
    lengths2[n] = lengthMillis;
    month2[n] = month;
    return of(names2, lengths2, month2, Arrays.copyOf(units, n + 1));
  }

  String[] names() {
    return names.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RecordLayout l
        && hash == l.hash
        && Arrays.equals(names, l.names)
        && Arrays.equals(lengthMillis, l.lengthMillis)
        && Arrays.equals(month, l.month)
        && Arrays.equals(units, l.units);
  }

  @Override
  public int hashCode() {
    return hash;
  }
}
