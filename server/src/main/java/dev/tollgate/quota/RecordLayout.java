package dev.tollgate.quota;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The windows of a usage record and the units each counts: what every record of a tier's users has
 * in common. Immutable and shared: {@link #of} hands out one instance per distinct layout, so a
 * record pays one reference for it, not its names and lengths.
 */
final class RecordLayout {
  /**
   * The most distinct layouts remembered; one more empties the memory first (the records holding
   * the forgotten ones keep them; records made later share again).
   */
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
      // layouts no config uses any more: the records that hold them keep them, new ones share anew
      SHARED.clear();
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
    return indexOf(names, name);
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

  /**
   * This layout with the windows of {@code limits} it lacks appended (in the order of the limits)
   * and each window counting the units of its limits; this layout itself when it has them all.
   */
  RecordLayout counting(List<Limit> limits) {
    String[] names2 = names;
    long[] lengths2 = lengthMillis;
    boolean[] month2 = month;
    byte[] units2 = units;
    for (Limit l : limits) {
      Window window = l.window();
      int w = indexOf(names2, window.name());
      if (w < 0) {
        w = names2.length;
        names2 = Arrays.copyOf(names2, w + 1);
        lengths2 = Arrays.copyOf(lengths2, w + 1);
        month2 = Arrays.copyOf(month2, w + 1);
        units2 = Arrays.copyOf(units2, w + 1);
        names2[w] = window.name();
        lengths2[w] =
            window.calendarMonth() ? Window.MONTH_NOMINAL.toMillis() : window.length().toMillis();
        month2[w] = window.calendarMonth();
      }
      byte bit = unitBit(l.unit());
      if ((units2[w] & bit) == 0) {
        if (units2 == units) {
          units2 = units.clone();
        }
        units2[w] = (byte) (units2[w] | bit);
      }
    }
    return units2 == units ? this : of(names2, lengths2, month2, units2);
  }

  /** The unit bit of {@code unit} ({@code UsageRecord.UNIT_*}). */
  static byte unitBit(Unit unit) {
    return switch (unit) {
      case TOKENS -> UsageRecord.UNIT_TOKENS;
      case NANO_USD -> UsageRecord.UNIT_NANO_USD;
      case REQUESTS -> UsageRecord.UNIT_REQUESTS;
    };
  }

  private static int indexOf(String[] names, String name) {
    for (int i = 0; i < names.length; i++) {
      if (names[i] == name || names[i].equals(name)) {
        return i;
      }
    }
    return -1;
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
