package dev.tollgate.analytics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tollgate.TestConfigs;
import dev.tollgate.config.LimitConfig;
import dev.tollgate.config.TierConfig;
import dev.tollgate.ledger.DailyUsage;
import dev.tollgate.ledger.DailyUsageRow;
import dev.tollgate.ledger.LedgerKey;
import dev.tollgate.quota.Scope;
import dev.tollgate.quota.Unit;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Every figure of the analytics over random ledgers, against a naive recomputation written here
 * independently (maps of maps, sorting, BigDecimal ranks): no shared code but the records.
 */
class AnalyticsBruteForceTest {
  private static final String[] SCOPES = {"user", "key", "global", "conversation"};
  private static final String[] WINDOWS = {"5m", "1h", "1d", "2d", "7d", "month"};

  @Property(tries = 150)
  void reportAndTopUsersMatchTheNaiveRecomputation(
      @ForAll long seed, @ForAll @IntRange(min = 0, max = 2) int periodIndex) {
    Random rnd = new Random(seed);
    TierConfig tier = randomTier(rnd);
    List<DailyUsageRow> rows = randomRows(rnd, LocalDate.parse("2026-09-20"), 70);
    Period period = Period.values()[periodIndex];
    LocalDate from = period.start(LocalDate.parse("2026-09-20").plusDays(rnd.nextInt(40)));
    LocalDate to = period.end(from.plusDays(rnd.nextInt(40)));

    UsageReport fast = UsageAnalytics.report(tier, period, from, to, rows);
    UsageReport slow = naiveReport(tier, period, from, to, rows);
    assertEquals(slow.activeUsers(), fast.activeUsers(), "active users");
    assertDistribution(slow.tokensPerUser(), fast.tokensPerUser());
    assertDistribution(slow.usdPerUser(), fast.usdPerUser());
    assertEquals(slow.totalTokens(), fast.totalTokens());
    assertEquals(slow.totalNanoUsd(), fast.totalNanoUsd());
    assertEquals(slow.totalRequests(), fast.totalRequests());
    assertEquals(slow.models(), fast.models());
    assertEquals(slow.refusals(), fast.refusals());
    assertEquals(slow.days(), fast.days());
    assertEquals(slow.tokensHistogram(), fast.tokensHistogram());
    assertEquals(slow.limits(), fast.limits());

    // shuffled rows: same answers
    List<DailyUsageRow> shuffled = new ArrayList<>(rows);
    Collections.shuffle(shuffled, rnd);
    UsageReport again = UsageAnalytics.report(tier, period, from, to, shuffled);
    assertEquals(fast.days(), again.days());
    assertEquals(fast.tokensPerUser().p90(), again.tokensPerUser().p90());

    List<DailyUsageRow> inRange =
        rows.stream()
            .filter(r -> !r.key().day().isBefore(from) && !r.key().day().isAfter(to))
            .toList();
    for (TopBy by : TopBy.values()) {
      int limit = 1 + rnd.nextInt(12);
      assertEquals(
          naiveTop(inRange, by, limit), UsageAnalytics.topUsers(inRange, by, limit), by.name());
    }
  }

  @Property(tries = 150)
  void adviceMatchesTheNaiveRecomputation(@ForAll long seed) {
    Random rnd = new Random(seed);
    TierConfig tier = randomTier(rnd);
    LocalDate today = LocalDate.parse("2026-12-01").plusDays(rnd.nextInt(20));
    List<DailyUsageRow> rows = randomRows(rnd, LocalDate.parse("2026-08-01"), 140);
    double percentile = new double[] {50, 90, 95, 99, 100, 12.5}[rnd.nextInt(6)];
    double headroom = new double[] {1, 1.2, 1.5, 2}[rnd.nextInt(4)];
    int lookback = 1 + rnd.nextInt(4);

    List<LimitAdvice> fast =
        UsageAnalytics.advise(tier, rows, today, percentile, headroom, lookback);
    assertEquals(tier.limits().size(), fast.size());
    for (int i = 0; i < fast.size(); i++) {
      LimitAdvice f = fast.get(i);
      LimitAdvice s =
          naiveAdvice(tier.limits().get(i), rows, today, percentile, headroom, lookback);
      String what = f.scope() + ":" + f.window() + " " + f.unit();
      assertEquals(s.advisable(), f.advisable(), what + " advisable: " + f.note());
      assertEquals(s.samples(), f.samples(), what + " samples");
      assertEquals(
          s.suggested(), f.suggested(), Math.abs(s.suggested()) * 1e-12, what + " suggested");
      assertEquals(s.refusedCurrent(), f.refusedCurrent(), what + " refused current");
      assertEquals(s.refusedSuggested(), f.refusedSuggested(), what + " refused suggested");
      close(s.worstCaseUsdCurrent(), f.worstCaseUsdCurrent(), what + " worst current");
      close(s.worstCaseUsdSuggested(), f.worstCaseUsdSuggested(), what + " worst suggested");
      close(s.projectedUsdCurrent(), f.projectedUsdCurrent(), what + " projected current");
      close(s.projectedUsdSuggested(), f.projectedUsdSuggested(), what + " projected suggested");
    }
  }

  // ---- random input ---------------------------------------------------------------------------

  static TierConfig randomTier(Random rnd) {
    StringBuilder yaml = new StringBuilder();
    int n = 2 + rnd.nextInt(5);
    Set<String> seen = new java.util.HashSet<>();
    for (int i = 0; i < n; i++) {
      String scope = SCOPES[rnd.nextInt(SCOPES.length)];
      String window = WINDOWS[rnd.nextInt(WINDOWS.length)];
      boolean tokens = rnd.nextBoolean();
      if (!seen.add(scope + window + tokens)) {
        continue;
      }
      if (tokens) {
        yaml.append(
            "- { scope: %s, window: %s, tokens: %d }\n"
                .formatted(scope, window, 1 + rnd.nextInt(rnd.nextBoolean() ? 3000 : 60000)));
      } else {
        yaml.append(
            "- { scope: %s, window: %s, usd: %s }\n"
                .formatted(
                    scope, window, BigDecimal.valueOf(1 + rnd.nextInt(50000), 6).toPlainString()));
      }
    }
    return TestConfigs.withLimits(yaml.toString()).tiers().get("default");
  }

  static List<DailyUsageRow> randomRows(Random rnd, LocalDate first, int days) {
    int users = 1 + rnd.nextInt(25);
    int count = rnd.nextInt(400);
    Map<LedgerKey, DailyUsage> rows = new HashMap<>();
    for (int i = 0; i < count; i++) {
      LedgerKey k =
          new LedgerKey(
              first.plusDays(rnd.nextInt(days)),
              rnd.nextInt(20) == 0 ? "other" : "default",
              "u" + rnd.nextInt(users),
              "key" + rnd.nextInt(3),
              "m" + rnd.nextInt(3));
      long requests = rnd.nextInt(5) == 0 ? 0 : 1 + rnd.nextInt(5);
      long in = requests == 0 ? 0 : rnd.nextInt(2000);
      Map<String, Long> refusals = new TreeMap<>();
      if (rnd.nextInt(4) == 0) {
        String key =
            SCOPES[rnd.nextInt(SCOPES.length)] + ":" + WINDOWS[rnd.nextInt(WINDOWS.length)];
        refusals.put(key, 1L + rnd.nextInt(3));
      }
      DailyUsage u =
          new DailyUsage(
              requests,
              requests == 0 ? 0 : rnd.nextInt((int) requests + 1),
              in,
              in == 0 ? 0 : rnd.nextInt((int) in + 1),
              requests == 0 ? 0 : rnd.nextInt(1500),
              requests == 0 ? 0 : rnd.nextInt(3_000_000),
              refusals);
      rows.merge(k, u, DailyUsage::plus);
    }
    List<DailyUsageRow> out = new ArrayList<>();
    rows.forEach((k, u) -> out.add(new DailyUsageRow(k, u)));
    out.sort(dev.tollgate.ledger.UsageLedger.ROW_ORDER);
    return out;
  }

  // ---- the naive implementation ---------------------------------------------------------------

  static long tokens(DailyUsage u) {
    return u.inputTokens() + u.outputTokens();
  }

  static LocalDate naivePeriodStart(Period p, LocalDate d) {
    return switch (p) {
      case DAY -> d;
      case WEEK -> d.minusDays(d.getDayOfWeek().getValue() - DayOfWeek.MONDAY.getValue());
      case MONTH -> LocalDate.of(d.getYear(), d.getMonth(), 1);
    };
  }

  static long naivePercentile(List<Long> values, double p) {
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int rank =
        BigDecimal.valueOf(p)
            .multiply(BigDecimal.valueOf(sorted.size()))
            .divide(BigDecimal.valueOf(100), 0, RoundingMode.CEILING)
            .intValueExact();
    return sorted.get(Math.max(1, rank) - 1);
  }

  static Distribution naiveDistribution(List<Long> values, double divisor) {
    if (values.isEmpty()) {
      return new Distribution(0, 0, 0, 0, 0, 0, 0);
    }
    double sum = 0;
    for (long v : values) {
      sum += v;
    }
    return new Distribution(
        values.size(),
        naivePercentile(values, 50) / divisor,
        naivePercentile(values, 90) / divisor,
        naivePercentile(values, 95) / divisor,
        naivePercentile(values, 99) / divisor,
        Collections.max(values) / divisor,
        sum / values.size() / divisor);
  }

  static UsageReport naiveReport(
      TierConfig tier, Period period, LocalDate from, LocalDate to, List<DailyUsageRow> all) {
    List<DailyUsageRow> rows =
        all.stream()
            .filter(r -> r.key().tier().equals(tier.name()))
            .filter(r -> !r.key().day().isBefore(from) && !r.key().day().isAfter(to))
            .toList();
    // (user, period start) -> {tokens, nano, requests}
    Map<String, long[]> cells = new TreeMap<>();
    Set<String> active = new TreeSet<>();
    for (DailyUsageRow r : rows) {
      String cell = r.key().user() + "@" + naivePeriodStart(period, r.key().day());
      long[] c = cells.computeIfAbsent(cell, k -> new long[3]);
      c[0] += tokens(r.usage());
      c[1] += r.usage().nanoUsd();
      c[2] += r.usage().requests();
      if (r.usage().requests() > 0) {
        active.add(r.key().user());
      }
    }
    List<Long> tokenSamples = new ArrayList<>();
    List<Long> nanoSamples = new ArrayList<>();
    for (long[] c : cells.values()) {
      if (c[2] > 0) {
        tokenSamples.add(c[0]);
        nanoSamples.add(c[1]);
      }
    }
    Map<String, long[]> models = new TreeMap<>();
    Map<String, Long> refusalCounts = new HashMap<>();
    Map<String, Set<String>> refusedUsers = new HashMap<>();
    List<UsageReport.DayTotal> days = new ArrayList<>();
    for (LocalDate d = from; !d.isAfter(to); d = d.plusDays(1)) {
      final LocalDate day = d;
      List<DailyUsageRow> ofDay = rows.stream().filter(r -> r.key().day().equals(day)).toList();
      days.add(
          new UsageReport.DayTotal(
              d,
              ofDay.stream()
                  .filter(r -> r.usage().requests() > 0)
                  .map(r -> r.key().user())
                  .distinct()
                  .count(),
              ofDay.stream().mapToLong(r -> r.usage().requests()).sum(),
              ofDay.stream().mapToLong(r -> tokens(r.usage())).sum(),
              ofDay.stream().mapToLong(r -> r.usage().nanoUsd()).sum(),
              ofDay.stream().mapToLong(r -> r.usage().refusalCount()).sum()));
    }
    for (DailyUsageRow r : rows) {
      long[] m = models.computeIfAbsent(r.key().model(), k -> new long[5]);
      m[0] += r.usage().requests();
      m[1] += r.usage().inputTokens();
      m[2] += r.usage().cachedInputTokens();
      m[3] += r.usage().outputTokens();
      m[4] += r.usage().nanoUsd();
      r.usage()
          .refusals()
          .forEach(
              (k, v) -> {
                refusalCounts.merge(k, v, Long::sum);
                refusedUsers.computeIfAbsent(k, x -> new TreeSet<>()).add(r.key().user());
              });
    }
    List<UsageReport.ModelTotal> modelTotals = new ArrayList<>();
    models.forEach(
        (k, m) -> modelTotals.add(new UsageReport.ModelTotal(k, m[0], m[1], m[2], m[3], m[4])));
    Set<String> order = new LinkedHashSet<>();
    for (LimitConfig l : tier.limits()) {
      order.add(l.scope().configName() + ":" + l.limit().window().name());
    }
    order.addAll(new TreeSet<>(refusalCounts.keySet()));
    List<UsageReport.LimitRefusals> refusals = new ArrayList<>();
    for (String k : order) {
      String[] sw = k.split(":", 2);
      refusals.add(
          new UsageReport.LimitRefusals(
              sw[0],
              sw[1],
              refusedUsers.getOrDefault(k, Set.of()).size(),
              refusalCounts.getOrDefault(k, 0L)));
    }
    List<UsageReport.TierLimit> limits = new ArrayList<>();
    for (LimitConfig l : tier.limits()) {
      boolean usd = l.limit().unit() == Unit.NANO_USD;
      limits.add(
          new UsageReport.TierLimit(
              l.scope().configName(),
              l.limit().window().name(),
              usd ? "usd" : "tokens",
              usd ? l.limit().max() / 1e9 : l.limit().max()));
    }
    return new UsageReport(
        tier.name(),
        period,
        from,
        to,
        active.size(),
        naiveDistribution(tokenSamples, 1),
        naiveDistribution(nanoSamples, 1e9),
        rows.stream().mapToLong(r -> tokens(r.usage())).sum(),
        rows.stream().mapToLong(r -> r.usage().nanoUsd()).sum(),
        rows.stream().mapToLong(r -> r.usage().requests()).sum(),
        modelTotals,
        refusals,
        days,
        naiveHistogram(tokenSamples),
        limits);
  }

  static List<UsageReport.HistogramBin> naiveHistogram(List<Long> samples) {
    if (samples.isEmpty()) {
      return List.of();
    }
    long max = Collections.max(samples);
    // the readable widths, in order: 1, 2, 5, 10, 20, 25, 50, 100, ...
    List<Long> widths = new ArrayList<>();
    for (long p = 1; p <= 1_000_000_000_000L; p *= 10) {
      widths.add(p);
      widths.add(2 * p);
      if (p >= 10) {
        widths.add(25 * p / 10);
      }
      widths.add(5 * p);
    }
    long width = widths.stream().filter(w -> w * 20 >= max).findFirst().orElseThrow();
    long bins = Math.max(1, (max + width - 1) / width);
    List<UsageReport.HistogramBin> out = new ArrayList<>();
    for (long b = 0; b < bins; b++) {
      long lo = b * width;
      long hi = lo + width;
      boolean last = b == bins - 1;
      long count = samples.stream().filter(v -> v >= lo && (v < hi || (last && v <= hi))).count();
      out.add(new UsageReport.HistogramBin(lo, hi, count));
    }
    return out;
  }

  static List<UserTotal> naiveTop(List<DailyUsageRow> rows, TopBy by, int limit) {
    Map<String, UserTotal> users = new TreeMap<>();
    for (DailyUsageRow r : rows) {
      UserTotal t = users.getOrDefault(r.key().user(), new UserTotal(r.key().user(), 0, 0, 0, 0));
      users.put(
          r.key().user(),
          new UserTotal(
              t.user(),
              t.requests() + r.usage().requests(),
              t.tokens() + tokens(r.usage()),
              t.nanoUsd() + r.usage().nanoUsd(),
              t.refusals() + r.usage().refusalCount()));
    }
    List<UserTotal> all = new ArrayList<>(users.values()); // by user id
    all.sort(
        (a, b) ->
            switch (by) {
              case TOKENS -> Long.compare(b.tokens(), a.tokens());
              case USD -> Long.compare(b.nanoUsd(), a.nanoUsd());
              case REFUSALS -> Long.compare(b.refusals(), a.refusals());
            }); // stable: ties stay by user id
    return all.subList(0, Math.min(limit, all.size()));
  }

  static double naiveReadable(double raw) {
    double[] mantissas = {1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8};
    for (int k = -15; k <= 19; k++) {
      for (double m : mantissas) {
        double c = new BigDecimal(Double.toString(m)).scaleByPowerOfTen(k).doubleValue();
        if (c >= raw * (1 - 1e-12)) {
          return c;
        }
      }
    }
    throw new AssertionError(raw);
  }

  static LimitAdvice naiveAdvice(
      LimitConfig l,
      List<DailyUsageRow> all,
      LocalDate today,
      double percentile,
      double headroom,
      int lookback) {
    String scope = l.scope().configName();
    String window = l.limit().window().name();
    boolean usd = l.limit().unit() == Unit.NANO_USD;
    long max = l.limit().max();
    LimitAdvice no =
        new LimitAdvice(
            scope, window, usd ? "usd" : "tokens", 0, 0, false, "", 0, 0, 0, 0, 0, 0, 0);
    if (l.scope() == Scope.CONVERSATION) {
      return no;
    }
    // day -> period number (0 = the most recent), or absent
    Map<LocalDate, Integer> periodOf = new HashMap<>();
    if (l.limit().window().calendarMonth()) {
      YearMonth current = YearMonth.from(today);
      for (int k = 1; k <= lookback; k++) {
        YearMonth m = current.minusMonths(k);
        for (int d = 1; d <= m.lengthOfMonth(); d++) {
          periodOf.put(m.atDay(d), k - 1);
        }
      }
    } else {
      long seconds = l.limit().window().length().getSeconds();
      if (seconds % 86400 != 0) {
        return no;
      }
      long n = seconds / 86400;
      for (long i = 0; i < n * lookback; i++) {
        periodOf.put(today.minusDays(1 + i), (int) (i / n));
      }
    }
    Map<String, long[]> usage = new TreeMap<>(); // subject -> usage per period
    Map<String, long[]> requests = new TreeMap<>();
    long allTokens = 0;
    long allNano = 0;
    for (DailyUsageRow r : all) {
      Integer p = periodOf.get(r.key().day());
      if (p == null || !r.key().tier().equals("default")) {
        continue;
      }
      String subject =
          switch (l.scope()) {
            case USER -> r.key().user();
            case KEY -> r.key().serviceKey();
            default -> "*";
          };
      usage.computeIfAbsent(subject, k -> new long[lookback])[p] +=
          usd ? r.usage().nanoUsd() : tokens(r.usage());
      requests.computeIfAbsent(subject, k -> new long[lookback])[p] += r.usage().requests();
      allTokens += tokens(r.usage());
      allNano += r.usage().nanoUsd();
    }
    List<Long> samples = new ArrayList<>();
    for (String s : usage.keySet()) {
      for (int p = 0; p < lookback; p++) {
        if (requests.get(s)[p] > 0) {
          samples.add(usage.get(s)[p]);
        }
      }
    }
    double perToken = allTokens == 0 ? 0 : (double) allNano / allTokens;
    if (samples.isEmpty()) {
      return new LimitAdvice(
          scope,
          window,
          "",
          0,
          0,
          false,
          "",
          0,
          0,
          0,
          usd ? max * 1e-9 : max * perToken * 1e-9,
          0,
          0,
          0);
    }
    long pct = naivePercentile(samples, percentile);
    double raw = (usd ? pct / 1e9 : pct) * headroom;
    long refusedCurrent = usage.values().stream().filter(u -> anyAbove(u, max)).count();
    double worstCurrent = usd ? max * 1e-9 : max * perToken * 1e-9;
    double projectedCurrent = projected(usage, max, lookback, usd, perToken);
    if (raw <= 0) {
      return new LimitAdvice(
          scope,
          window,
          "",
          0,
          0,
          false,
          "",
          samples.size(),
          refusedCurrent,
          0,
          worstCurrent,
          0,
          projectedCurrent,
          0);
    }
    double suggested = naiveReadable(raw);
    long suggestedMax;
    if (usd) {
      suggestedMax = Math.round(suggested * 1e9);
    } else {
      suggested = Math.max(1, Math.ceil(suggested));
      suggestedMax = (long) suggested;
    }
    return new LimitAdvice(
        scope,
        window,
        "",
        0,
        suggested,
        true,
        "",
        samples.size(),
        refusedCurrent,
        usage.values().stream().filter(u -> anyAbove(u, suggestedMax)).count(),
        worstCurrent,
        usd ? suggestedMax * 1e-9 : suggestedMax * perToken * 1e-9,
        projectedCurrent,
        projected(usage, suggestedMax, lookback, usd, perToken));
  }

  static boolean anyAbove(long[] usage, long max) {
    for (long u : usage) {
      if (u > max) {
        return true;
      }
    }
    return false;
  }

  static double projected(
      Map<String, long[]> usage, long max, int periods, boolean usd, double perToken) {
    double sum = 0;
    for (long[] u : usage.values()) {
      for (long v : u) {
        sum += Math.min(v, max);
      }
    }
    return usd ? sum / periods * 1e-9 : sum / periods * perToken * 1e-9;
  }

  // ---- assertions -------------------------------------------------------------------------------

  static void assertDistribution(Distribution expected, Distribution actual) {
    assertEquals(expected.samples(), actual.samples(), "samples");
    assertEquals(expected.p50(), actual.p50(), "p50");
    assertEquals(expected.p90(), actual.p90(), "p90");
    assertEquals(expected.p95(), actual.p95(), "p95");
    assertEquals(expected.p99(), actual.p99(), "p99");
    assertEquals(expected.max(), actual.max(), "max");
    close(expected.mean(), actual.mean(), "mean");
  }

  static void close(double expected, double actual, String what) {
    assertEquals(expected, actual, Math.max(1e-12, Math.abs(expected) * 1e-9), what);
  }
}
