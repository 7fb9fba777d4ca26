package dev.tollgate.analytics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.TestConfigs;
import dev.tollgate.config.TierConfig;
import dev.tollgate.config.TollgateConfig;
import dev.tollgate.ledger.DailyUsageRow;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The analytics over {@code analytics/small-ledger.csv}, every expected figure computed by hand
 * (the comments show the arithmetic).
 */
class AnalyticsFixtureTest {
  static final String LIMITS =
      """
      - { scope: user,         window: 5m,    tokens: 20000 }
      - { scope: user,         window: 1d,    tokens: 1000 }
      - { scope: user,         window: month, usd: 0.00001 }
      - { scope: key,          window: 7d,    tokens: 2000 }
      - { scope: global,       window: month, tokens: 2000 }
      - { scope: conversation, window: 1h,    tokens: 5000 }
      """;
  static final TollgateConfig CONFIG = TestConfigs.withLimits(LIMITS);
  static final TierConfig TIER = CONFIG.tiers().get("default");
  static final List<DailyUsageRow> ROWS = LedgerCsv.read("/analytics/small-ledger.csv");
  static final LocalDate NOV1 = LocalDate.parse("2026-11-01");
  static final LocalDate NOV3 = LocalDate.parse("2026-11-03");
  // the tier's USD per token: 24500 nano-USD over 2950 tokens
  static final double NANO_PER_TOKEN = 24500.0 / 2950;

  static Analytics analytics(String today) {
    return new Analytics(
        CONFIG.tiers(),
        (tier, from, to) ->
            ROWS.stream()
                .filter(r -> !r.key().day().isBefore(from) && !r.key().day().isAfter(to))
                .toList(),
        Clock.fixed(Instant.parse(today + "T10:00:00Z"), ZoneOffset.UTC));
  }

  static void close(double expected, double actual) {
    assertEquals(expected, actual, 1e-15);
  }

  @Test
  void dailyReport() {
    UsageReport r = UsageAnalytics.report(TIER, Period.DAY, NOV1, NOV3, ROWS);
    // per user and day: alice 150 and 100, bob 600 and 1500, carol 600, erin 0 (a refunded
    // request); dave was only refused: no sample. Sorted: 0 100 150 600 600 1500
    assertEquals(4, r.activeUsers());
    assertEquals(new Distribution(6, 150, 1500, 1500, 1500, 1500, 2950.0 / 6), r.tokensPerUser());
    // nano-USD: 0 500 1000 6000 8000 9000
    Distribution usd = r.usdPerUser();
    assertEquals(6, usd.samples());
    close(1000e-9, usd.p50());
    close(9000e-9, usd.p90());
    close(9000e-9, usd.max());
    close(24500e-9 / 6, usd.mean());
    assertEquals(2950, r.totalTokens());
    assertEquals(24500, r.totalNanoUsd());
    assertEquals(10, r.totalRequests());
    assertEquals(
        List.of(
            new UsageReport.ModelTotal("gpt-4o", 5, 500, 0, 300, 14000),
            new UsageReport.ModelTotal("gpt-4o-mini", 5, 1450, 100, 700, 10500)),
        r.models());
    assertEquals(
        List.of(
            new UsageReport.LimitRefusals("user", "5m", 1, 2),
            new UsageReport.LimitRefusals("user", "1d", 2, 3),
            new UsageReport.LimitRefusals("user", "month", 0, 0),
            new UsageReport.LimitRefusals("key", "7d", 0, 0),
            new UsageReport.LimitRefusals("global", "month", 1, 1),
            new UsageReport.LimitRefusals("conversation", "1h", 0, 0)),
        r.refusals());
    assertEquals(
        List.of(
            new UsageReport.DayTotal(NOV1, 2, 4, 750, 9000, 2),
            new UsageReport.DayTotal(NOV1.plusDays(1), 2, 4, 700, 9500, 3),
            new UsageReport.DayTotal(NOV3, 2, 2, 1500, 6000, 1)),
        r.days());
    // max 1500 / 20 = 75 → width 100, 15 bins; 1500 is in the last one (inclusive)
    List<UsageReport.HistogramBin> h = r.tokensHistogram();
    assertEquals(15, h.size());
    assertEquals(new UsageReport.HistogramBin(0, 100, 1), h.get(0));
    assertEquals(new UsageReport.HistogramBin(100, 200, 2), h.get(1));
    assertEquals(new UsageReport.HistogramBin(600, 700, 2), h.get(6));
    assertEquals(new UsageReport.HistogramBin(1400, 1500, 1), h.get(14));
    assertEquals(6, h.stream().mapToLong(UsageReport.HistogramBin::count).sum());
    assertEquals(new UsageReport.TierLimit("user", "1d", "tokens", 1000), r.limits().get(1));
    assertEquals("usd", r.limits().get(2).unit());
    close(0.00001, r.limits().get(2).value());
  }

  @Test
  void monthlyReportWidensTheRangeAndTakesOneSamplePerUserAndMonth() {
    UsageReport r = analytics("2026-12-05").report("default", Period.MONTH, NOV1.plusDays(1), NOV3);
    assertEquals(NOV1, r.from());
    assertEquals(LocalDate.parse("2026-11-30"), r.to());
    assertEquals(30, r.days().size());
    assertEquals(
        new UsageReport.DayTotal(LocalDate.parse("2026-11-30"), 0, 0, 0, 0, 0), r.days().get(29));
    // alice 250, bob 2100, carol 600, erin 0: p50 = rank 2 = 250, p90 = rank ceil(3.6) = 4
    assertEquals(new Distribution(4, 250, 2100, 2100, 2100, 2100, 737.5), r.tokensPerUser());
  }

  @Test
  void emptyRangeIsThePeriodHoldingToday() {
    UsageReport r = analytics("2026-11-04").report("default", Period.WEEK, null, null);
    // 2026-11-04 is a Wednesday: the ISO week from Monday 11-02 to Sunday 11-08
    assertEquals(LocalDate.parse("2026-11-02"), r.from());
    assertEquals(LocalDate.parse("2026-11-08"), r.to());
    assertEquals(700 + 1500, r.totalTokens());
  }

  @Test
  void topUsers() {
    assertEquals(
        List.of(
            new UserTotal("bob", 3, 2100, 14000, 3),
            new UserTotal("carol", 3, 600, 9000, 0),
            new UserTotal("alice", 3, 250, 1500, 0)),
        UsageAnalytics.topUsers(ROWS, TopBy.TOKENS, 3));
    // bob and dave both have 3 refusals: by name
    assertEquals(
        List.of("bob", "dave", "alice", "carol", "erin"),
        UsageAnalytics.topUsers(ROWS, TopBy.REFUSALS, 10).stream().map(UserTotal::user).toList());
    assertEquals(
        List.of("bob", "carol"),
        UsageAnalytics.topUsers(ROWS, TopBy.USD, 2).stream().map(UserTotal::user).toList());
  }

  @Test
  void adviceOnDailyAndWeeklyLimits() {
    List<LimitAdvice> advice = analytics("2026-11-04").advise("default", 95, 1.2, 3);
    assertEquals(6, advice.size());

    LimitAdvice fiveMinutes = advice.get(0);
    assertFalse(fiveMinutes.advisable());
    assertTrue(fiveMinutes.note().contains("shorter than a day"), fiveMinutes.note());

    // user 1d over 11-01..11-03: samples 0 100 150 600 600 1500; p95 = 1500 × 1.2 = 1800 → 2000
    LimitAdvice daily = advice.get(1);
    assertTrue(daily.advisable());
    assertEquals(6, daily.samples());
    assertEquals(1000, daily.current());
    assertEquals(2000, daily.suggested());
    assertEquals(1, daily.refusedCurrent()); // bob's 1500 on 11-03
    assertEquals(0, daily.refusedSuggested());
    close(1000 * NANO_PER_TOKEN * 1e-9, daily.worstCaseUsdCurrent());
    close(2000 * NANO_PER_TOKEN * 1e-9, daily.worstCaseUsdSuggested());
    // min(usage, 1000): 0+100+150+600+600+1000 = 2450 over 3 days
    close(2450.0 / 3 * NANO_PER_TOKEN * 1e-9, daily.projectedUsdCurrent());
    close(2950.0 / 3 * NANO_PER_TOKEN * 1e-9, daily.projectedUsdSuggested());

    // key 7d over the 3 weeks ending 11-03: web 850, batch 2100 in the last one;
    // p95 = 2100 × 1.2 = 2520 → 3000
    LimitAdvice weekly = advice.get(3);
    assertEquals(2, weekly.samples());
    assertEquals(3000, weekly.suggested());
    assertEquals(1, weekly.refusedCurrent());
    assertEquals(0, weekly.refusedSuggested());
    // (850 + 2000) / 3 weeks
    close(2850.0 / 3 * NANO_PER_TOKEN * 1e-9, weekly.projectedUsdCurrent());

    // months: October and September have no usage, and November is not complete
    assertFalse(advice.get(2).advisable());
    assertTrue(advice.get(2).note().startsWith("no usage"), advice.get(2).note());

    LimitAdvice conversation = advice.get(5);
    assertFalse(conversation.advisable());
    assertTrue(conversation.note().contains("conversation"));
  }

  @Test
  void adviceOnMonthlyLimits() {
    List<LimitAdvice> advice = analytics("2026-12-05").advise("default", 95, 1.2, 2);
    // user month usd over October (empty) and November: alice 1500, bob 14000, carol 9000, erin 0
    // nano-USD; p95 = rank 4 = 14000 × 1.2 = 16800 → 2e-5 dollars
    LimitAdvice usd = advice.get(2);
    assertEquals("usd", usd.unit());
    assertEquals(4, usd.samples());
    close(0.00001, usd.current());
    assertEquals(0.00002, usd.suggested());
    assertEquals(1, usd.refusedCurrent());
    assertEquals(0, usd.refusedSuggested());
    close(0.00001, usd.worstCaseUsdCurrent());
    close(0.00002, usd.worstCaseUsdSuggested());
    // (1500 + 10000 + 9000 + 0) / 2 months; (1500 + 14000 + 9000) / 2
    close(20500e-9 / 2, usd.projectedUsdCurrent());
    close(24500e-9 / 2, usd.projectedUsdSuggested());

    // global month tokens: November's 2950 × 1.2 = 3540 → 4000
    LimitAdvice global = advice.get(4);
    assertEquals(1, global.samples());
    assertEquals(4000, global.suggested());
    assertEquals(1, global.refusedCurrent());
    close(2000.0 / 2 * NANO_PER_TOKEN * 1e-9, global.projectedUsdCurrent());
  }

  @Test
  void readableRoundsUp() {
    assertEquals(2000, Readable.ceil(1800));
    assertEquals(1200, Readable.ceil(1200));
    assertEquals(1500, Readable.ceil(1201));
    assertEquals(1000, Readable.ceil(1000));
    assertEquals(10000, Readable.ceil(8001));
    assertEquals(0.00002, Readable.ceil(0.0000168));
    assertEquals(0.3, Readable.ceil(0.3));
    assertEquals(100, Readable.binWidth(75));
    assertEquals(1, Readable.binWidth(0.5));
    assertEquals(5, Readable.binWidth(2.2));
    assertEquals(25, Readable.binWidth(24));
  }

  @Test
  void nearestRank() {
    assertEquals(3, Distribution.rank(50, 6));
    assertEquals(95, Distribution.rank(95, 100));
    assertEquals(1, Distribution.rank(99, 1));
    assertEquals(1, Distribution.rank(0.001, 10));
    assertEquals(7, Distribution.rank(100, 7));
  }

  @Test
  void badArguments() {
    Analytics a = analytics("2026-11-04");
    assertTrue(bad(() -> a.report("gold", Period.DAY, null, null)).contains("tier: 'gold'"));
    assertTrue(bad(() -> a.report("default", Period.DAY, NOV3, NOV1)).contains("after"));
    assertTrue(
        bad(() -> a.report("default", Period.DAY, NOV1.minusDays(400), NOV1))
            .contains("at most 400"));
    assertTrue(bad(() -> a.advise("default", 0, 1.2, 3)).contains("percentile"));
    assertTrue(bad(() -> a.advise("default", 100.5, 1.2, 3)).contains("percentile"));
    assertTrue(bad(() -> a.advise("default", 95, 0.9, 3)).contains("headroom"));
    assertTrue(bad(() -> a.advise("default", 95, 1.2, 25)).contains("lookback"));
    assertTrue(
        bad(() -> a.topUsers("default", Period.DAY, null, null, TopBy.USD, 1001))
            .contains("limit"));
  }

  private static String bad(Runnable call) {
    return assertThrows(IllegalArgumentException.class, call::run).getMessage();
  }
}
