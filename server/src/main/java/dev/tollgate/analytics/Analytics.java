package dev.tollgate.analytics;

import dev.tollgate.config.TierConfig;
import dev.tollgate.ledger.DailyUsageRow;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The analytics calls: checks the arguments ({@link IllegalArgumentException} with a message saying
 * what was expected), reads the tier's rows and computes ({@link UsageAnalytics}).
 */
public final class Analytics {
  /** The longest range a report covers, in days (after widening to whole periods). */
  public static final int MAX_RANGE_DAYS = 400;

  /** The most users {@link #topUsers} returns. */
  public static final int MAX_TOP = 1000;

  /** Users {@link #topUsers} returns when not told. */
  public static final int DEFAULT_TOP = 10;

  /** The longest lookback of {@link #advise}, in periods. */
  public static final int MAX_LOOKBACK = 24;

  private final Map<String, TierConfig> tiers;
  private final LedgerReader reader;
  private final LedgerSums sums;
  private final Clock clock;

  /**
   * @param tiers the configured tiers by name
   * @param reader where the rows come from
   * @param clock decides "today" (UTC)
   */
  public Analytics(Map<String, TierConfig> tiers, LedgerReader reader, Clock clock) {
    this.tiers = Map.copyOf(tiers);
    this.reader = Objects.requireNonNull(reader, "reader");
    this.sums = null;
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Analytics over a store that sums the rows itself (a database): only the sums are read.
   *
   * @param tiers the configured tiers by name
   * @param sums where the sums come from
   * @param clock decides "today" (UTC)
   */
  public Analytics(Map<String, TierConfig> tiers, LedgerSums sums, Clock clock) {
    this.tiers = Map.copyOf(tiers);
    this.reader = null;
    this.sums = Objects.requireNonNull(sums, "sums");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Today, UTC. */
  public LocalDate today() {
    return LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
  }

  /**
   * The report of {@code tier} over whole periods.
   *
   * @param from first day, widened to its period's start; null: the period holding today
   * @param to last day, widened to its period's end; null: the period holding today
   */
  public UsageReport report(String tier, Period period, LocalDate from, LocalDate to) {
    TierConfig t = tier(tier);
    LocalDate[] range = range(period, from, to);
    if (sums != null) {
      return UsageAnalytics.report(
          t, period, range[0], range[1], sums.report(t.name(), period, range[0], range[1]));
    }
    List<DailyUsageRow> rows = reader.read(t.name(), range[0], range[1]);
    return UsageAnalytics.report(t, period, range[0], range[1], rows);
  }

  /**
   * The users of {@code tier} with the most of {@code by} over whole periods.
   *
   * @param limit how many; 0: {@value #DEFAULT_TOP}; at most {@value #MAX_TOP}
   */
  public List<UserTotal> topUsers(
      String tier, Period period, LocalDate from, LocalDate to, TopBy by, int limit) {
    TierConfig t = tier(tier);
    if (limit < 0 || limit > MAX_TOP) {
      throw new IllegalArgumentException(
          "limit: " + limit + " (expected: 1 to " + MAX_TOP + ", or 0 for " + DEFAULT_TOP + ")");
    }
    LocalDate[] range = range(period, from, to);
    int n = limit == 0 ? DEFAULT_TOP : limit;
    if (sums != null) {
      return UsageAnalytics.topUsers(sums.users(t.name(), range[0], range[1]), by, n);
    }
    List<DailyUsageRow> rows = reader.read(t.name(), range[0], range[1]);
    return UsageAnalytics.topUsers(rows, by, n);
  }

  /**
   * The advice on every limit of {@code tier}.
   *
   * @param percentile in (0, 100]
   * @param headroom at least 1
   * @param lookback 1 to {@value #MAX_LOOKBACK}
   */
  public List<LimitAdvice> advise(String tier, double percentile, double headroom, int lookback) {
    TierConfig t = tier(tier);
    if (!(percentile > 0 && percentile <= 100)) {
      throw new IllegalArgumentException(
          "percentile: " + percentile + " (expected: more than 0, at most 100)");
    }
    if (!(headroom >= 1) || Double.isInfinite(headroom)) {
      throw new IllegalArgumentException("headroom: " + headroom + " (expected: at least 1)");
    }
    if (lookback < 1 || lookback > MAX_LOOKBACK) {
      throw new IllegalArgumentException(
          "lookback: " + lookback + " (expected: 1 to " + MAX_LOOKBACK + ")");
    }
    LocalDate today = today();
    if (sums != null) {
      return UsageAnalytics.advise(
          t,
          today,
          percentile,
          headroom,
          lookback,
          (l, periods) -> sums.advice(t.name(), l.scope(), l.limit().unit(), periods));
    }
    LocalDate from = UsageAnalytics.adviceFrom(t, today, lookback);
    List<DailyUsageRow> rows =
        from.isBefore(today) ? reader.read(t.name(), from, today.minusDays(1)) : List.of();
    return UsageAnalytics.advise(t, rows, today, percentile, headroom, lookback);
  }

  /** The range widened to whole periods, checked. */
  public LocalDate[] range(Period period, LocalDate from, LocalDate to) {
    LocalDate today = today();
    LocalDate f = period.start(from == null ? today : from);
    LocalDate l = period.end(to == null ? today : to);
    if (from != null && to != null && from.isAfter(to)) {
      throw new IllegalArgumentException("from: " + from + " is after to: " + to);
    }
    if (f.isAfter(l)) {
      throw new IllegalArgumentException(
          "range: " + f + " to " + l + " (expected: from on or before to)");
    }
    long days = l.toEpochDay() - f.toEpochDay() + 1;
    if (days > MAX_RANGE_DAYS) {
      throw new IllegalArgumentException(
          "range: "
              + f
              + " to "
              + l
              + " is "
              + days
              + " days (expected: at most "
              + MAX_RANGE_DAYS
              + ")");
    }
    return new LocalDate[] {f, l};
  }

  private TierConfig tier(String name) {
    TierConfig t = tiers.get(name);
    if (t == null) {
      throw new IllegalArgumentException(
          "tier: '"
              + name
              + "' (expected: one of "
              + new java.util.TreeSet<>(tiers.keySet())
              + ")");
    }
    return t;
  }
}
