package dev.tollgate.analytics;

import dev.tollgate.config.LimitConfig;
import dev.tollgate.config.TierConfig;
import dev.tollgate.ledger.DailyUsage;
import dev.tollgate.ledger.DailyUsageRow;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.Scope;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.Window;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.function.ToLongFunction;

/**
 * The computations of the analytics over a tier's daily rows, pure: one pass over the rows per
 * figure group, primitive arrays indexed by user and day, no boxing per row.
 */
public final class UsageAnalytics {
  /** About how many bins {@link UsageReport#tokensHistogram()} has (at most). */
  public static final int HISTOGRAM_BINS = 20;

  /** Nano-USD per dollar. */
  private static final double NANO_PER_USD = 1e9;

  private UsageAnalytics() {}

  /**
   * The report of {@code tier} over {@code from}..{@code to} (whole periods: the caller widens
   * them), from the tier's rows of that range (others are ignored).
   */
  public static UsageReport report(
      TierConfig tier, Period period, LocalDate from, LocalDate to, List<DailyUsageRow> rows) {
    long first = from.toEpochDay();
    int nDays = (int) (to.toEpochDay() - first + 1);
    int[] periodOf = new int[nDays];
    int p = -1;
    LocalDate periodEnd = null;
    for (int d = 0; d < nDays; d++) {
      LocalDate day = from.plusDays(d);
      if (periodEnd == null || day.isAfter(periodEnd)) {
        p++;
        periodEnd = period.end(day);
      }
      periodOf[d] = p;
    }
    List<DailyUsageRow> sorted = byDay(rows);
    int n = sorted.size();

    // users by index, in one pass
    HashMap<String, Integer> userIndex = new HashMap<>();
    int[] rowUser = new int[n];
    int[] rowDay = new int[n];
    String lastUser = null;
    int lastIndex = -1;
    for (int i = 0; i < n; i++) {
      DailyUsageRow r = sorted.get(i);
      long d = r.key().day().toEpochDay() - first;
      if (d < 0 || d >= nDays || !r.key().tier().equals(tier.name())) {
        rowDay[i] = -1;
        continue;
      }
      rowDay[i] = (int) d;
      // rows come by day then user: most lookups repeat the previous row's user
      String user = r.key().user();
      if (user.equals(lastUser)) {
        rowUser[i] = lastIndex;
        continue;
      }
      Integer u = userIndex.get(user);
      if (u == null) {
        u = userIndex.size();
        userIndex.put(user, u);
      }
      rowUser[i] = u;
      lastUser = user;
      lastIndex = u;
    }
    int users = userIndex.size();

    long[] dayActive = new long[nDays];
    long[] dayRequests = new long[nDays];
    long[] dayTokens = new long[nDays];
    long[] dayNano = new long[nDays];
    long[] dayRefusals = new long[nDays];

    int[] periodMark = new int[users]; // period + 1 of the running sums
    int[] dayMark = new int[users]; // day + 1 the user was last counted active
    boolean[] everActive = new boolean[users];
    long[] uTokens = new long[users];
    long[] uNano = new long[users];
    long[] uRequests = new long[users];
    int[] touched = new int[users];
    int touchedCount = 0;
    long[] sampleTokens = new long[Math.max(16, users)];
    long[] sampleNano = new long[sampleTokens.length];
    int samples = 0;
    long activeUsers = 0;
    long totalTokens = 0;
    long totalNano = 0;
    long totalRequests = 0;
    Map<String, long[]> models = new HashMap<>();
    Map<String, RefusalAcc> refusals = new HashMap<>();
    int current = -1;
    String lastModel = null;
    long[] lastModelTotals = null;

    for (int i = 0; i < n; i++) {
      int d = rowDay[i];
      if (d < 0) {
        continue;
      }
      int pi = periodOf[d];
      if (pi != current) {
        for (int t = 0; t < touchedCount; t++) {
          int u = touched[t];
          if (uRequests[u] > 0) {
            if (samples == sampleTokens.length) {
              sampleTokens = Arrays.copyOf(sampleTokens, samples * 2);
              sampleNano = Arrays.copyOf(sampleNano, samples * 2);
            }
            sampleTokens[samples] = uTokens[u];
            sampleNano[samples] = uNano[u];
            samples++;
          }
        }
        touchedCount = 0;
        current = pi;
      }
      DailyUsageRow row = sorted.get(i);
      DailyUsage usage = row.usage();
      int u = rowUser[i];
      long tokens = usage.inputTokens() + usage.outputTokens();
      long nano = usage.nanoUsd();
      long requests = usage.requests();
      if (periodMark[u] != pi + 1) {
        periodMark[u] = pi + 1;
        uTokens[u] = 0;
        uNano[u] = 0;
        uRequests[u] = 0;
        touched[touchedCount++] = u;
      }
      uTokens[u] += tokens;
      uNano[u] += nano;
      uRequests[u] += requests;
      if (requests > 0) {
        if (dayMark[u] != d + 1) {
          dayMark[u] = d + 1;
          dayActive[d]++;
        }
        if (!everActive[u]) {
          everActive[u] = true;
          activeUsers++;
        }
      }
      dayRequests[d] += requests;
      dayTokens[d] += tokens;
      dayNano[d] += nano;
      totalTokens += tokens;
      totalNano += nano;
      totalRequests += requests;
      String model = row.key().model();
      long[] m = model.equals(lastModel) ? lastModelTotals : models.get(model);
      if (m == null) {
        m = new long[5];
        models.put(model, m);
      }
      lastModel = model;
      lastModelTotals = m;
      m[0] += requests;
      m[1] += usage.inputTokens();
      m[2] += usage.cachedInputTokens();
      m[3] += usage.outputTokens();
      m[4] += nano;
      if (!usage.refusals().isEmpty()) {
        for (Map.Entry<String, Long> e : usage.refusals().entrySet()) {
          long c = e.getValue();
          if (c <= 0) {
            continue;
          }
          RefusalAcc acc = refusals.computeIfAbsent(e.getKey(), k -> new RefusalAcc());
          acc.count += c;
          acc.users.set(u);
          dayRefusals[d] += c;
        }
      }
    }
    for (int t = 0; t < touchedCount; t++) {
      int u = touched[t];
      if (uRequests[u] > 0) {
        if (samples == sampleTokens.length) {
          sampleTokens = Arrays.copyOf(sampleTokens, samples * 2);
          sampleNano = Arrays.copyOf(sampleNano, samples * 2);
        }
        sampleTokens[samples] = uTokens[u];
        sampleNano[samples] = uNano[u];
        samples++;
      }
    }

    List<UsageReport.ModelTotal> modelTotals = new ArrayList<>();
    for (Map.Entry<String, long[]> e : models.entrySet()) {
      long[] m = e.getValue();
      modelTotals.add(new UsageReport.ModelTotal(e.getKey(), m[0], m[1], m[2], m[3], m[4]));
    }
    Map<String, ReportSums.KeyRefusals> keyRefusals = new HashMap<>();
    for (Map.Entry<String, RefusalAcc> e : refusals.entrySet()) {
      keyRefusals.put(
          e.getKey(),
          new ReportSums.KeyRefusals(e.getValue().users.cardinality(), e.getValue().count));
    }
    List<UsageReport.DayTotal> days = new ArrayList<>(nDays);
    for (int d = 0; d < nDays; d++) {
      days.add(
          new UsageReport.DayTotal(
              from.plusDays(d),
              dayActive[d],
              dayRequests[d],
              dayTokens[d],
              dayNano[d],
              dayRefusals[d]));
    }
    return report(
        tier,
        period,
        from,
        to,
        new ReportSums(
            sampleTokens, sampleNano, samples, activeUsers, days, modelTotals, keyRefusals));
  }

  /**
   * The report of {@code tier} over {@code from}..{@code to} (whole periods) from its sums: the
   * totals are the days' sums, the models are listed by name, the refusals by the tier's limits
   * (each listed, refused or not) then any other {@code scope:window} by name.
   */
  public static UsageReport report(
      TierConfig tier, Period period, LocalDate from, LocalDate to, ReportSums sums) {
    long totalTokens = 0;
    long totalNano = 0;
    long totalRequests = 0;
    for (UsageReport.DayTotal d : sums.days()) {
      totalTokens += d.tokens();
      totalNano += d.nanoUsd();
      totalRequests += d.requests();
    }
    List<UsageReport.ModelTotal> modelTotals = new ArrayList<>(sums.models());
    modelTotals.sort(Comparator.comparing(UsageReport.ModelTotal::model));
    List<UsageReport.LimitRefusals> limitRefusals = new ArrayList<>();
    Map<String, ReportSums.KeyRefusals> rest = new TreeMap<>(sums.refusals());
    HashSet<String> listed = new HashSet<>();
    for (LimitConfig l : tier.limits()) {
      String key = l.scope().configName() + ":" + l.limit().window().name();
      if (listed.add(key)) {
        ReportSums.KeyRefusals acc = rest.remove(key);
        limitRefusals.add(
            acc != null
                ? refusals(key, acc)
                : new UsageReport.LimitRefusals(
                    l.scope().configName(), l.limit().window().name(), 0, 0));
      }
    }
    for (Map.Entry<String, ReportSums.KeyRefusals> e : rest.entrySet()) {
      limitRefusals.add(refusals(e.getKey(), e.getValue()));
    }
    int samples = sums.samples();
    return new UsageReport(
        tier.name(),
        period,
        from,
        to,
        sums.activeUsers(),
        Distribution.of(sums.sampleTokens(), samples, 1),
        Distribution.of(sums.sampleNanoUsd(), samples, NANO_PER_USD),
        totalTokens,
        totalNano,
        totalRequests,
        modelTotals,
        limitRefusals,
        sums.days(),
        histogram(sums.sampleTokens(), samples),
        limits(tier));
  }

  /**
   * About {@value #HISTOGRAM_BINS} bins of equal, readable width (1, 2, 2.5 or 5 × 10^k tokens)
   * from 0 up to the largest sample; none without samples.
   */
  public static List<UsageReport.HistogramBin> histogram(long[] values, int n) {
    if (n == 0) {
      return List.of();
    }
    long max = 0;
    for (int i = 0; i < n; i++) {
      max = Math.max(max, values[i]);
    }
    long width = Readable.binWidth((double) max / HISTOGRAM_BINS);
    // the largest sample may lie on the last bin's upper bound, which that bin includes
    int bins = (int) Math.max(1, (max + width - 1) / width);
    long[] counts = new long[bins];
    for (int i = 0; i < n; i++) {
      counts[(int) Math.min(bins - 1, values[i] / width)]++;
    }
    List<UsageReport.HistogramBin> out = new ArrayList<>(bins);
    for (int b = 0; b < bins; b++) {
      out.add(new UsageReport.HistogramBin(b * width, (b + 1) * width, counts[b]));
    }
    return out;
  }

  /** The tier's limits, as drawn on the distribution. */
  public static List<UsageReport.TierLimit> limits(TierConfig tier) {
    List<UsageReport.TierLimit> out = new ArrayList<>();
    for (LimitConfig l : tier.limits()) {
      out.add(
          new UsageReport.TierLimit(
              l.scope().configName(),
              l.limit().window().name(),
              unitName(l.limit().unit()),
              display(l.limit().unit(), l.limit().max())));
    }
    return out;
  }

  /**
   * The users with the most of {@code by} over the rows, at most {@code limit}, ties by user id.
   */
  public static List<UserTotal> topUsers(List<DailyUsageRow> rows, TopBy by, int limit) {
    return topUsers(userTotals(rows), by, limit);
  }

  /** Each user's totals over the rows, any order. */
  public static List<UserTotal> userTotals(List<DailyUsageRow> rows) {
    HashMap<String, long[]> users = new HashMap<>();
    for (DailyUsageRow r : rows) {
      long[] t = users.get(r.key().user());
      if (t == null) {
        t = new long[4];
        users.put(r.key().user(), t);
      }
      DailyUsage u = r.usage();
      t[0] += u.requests();
      t[1] += u.inputTokens() + u.outputTokens();
      t[2] += u.nanoUsd();
      if (!u.refusals().isEmpty()) {
        t[3] += u.refusalCount();
      }
    }
    List<UserTotal> out = new ArrayList<>(users.size());
    for (Map.Entry<String, long[]> e : users.entrySet()) {
      long[] t = e.getValue();
      out.add(new UserTotal(e.getKey(), t[0], t[1], t[2], t[3]));
    }
    return out;
  }

  /**
   * The users with the most of {@code by} among {@code totals} (one per user), at most {@code
   * limit}, ties by user id.
   */
  public static List<UserTotal> topUsers(Collection<UserTotal> totals, TopBy by, int limit) {
    ToLongFunction<UserTotal> field =
        switch (by) {
          case TOKENS -> UserTotal::tokens;
          case USD -> UserTotal::nanoUsd;
          case REFUSALS -> UserTotal::refusals;
        };
    List<UserTotal> all = new ArrayList<>(totals);
    all.sort(
        Comparator.<UserTotal>comparingLong(t -> -field.applyAsLong(t))
            .thenComparing(UserTotal::user));
    return new ArrayList<>(all.subList(0, Math.min(limit, all.size())));
  }

  /**
   * The periods a limit's window is judged over, the last {@code lookback} complete ones before the
   * one holding {@code today}: calendar months for {@code month}, blocks of N days ending yesterday
   * for an {@code Nd} window; null when the window is shorter than a day or not a whole number of
   * days.
   */
  public static List<LocalDate[]> periodsOf(Window w, LocalDate today, int lookback) {
    List<LocalDate[]> out = new ArrayList<>(lookback);
    if (w.calendarMonth()) {
      LocalDate month = today.withDayOfMonth(1);
      for (int k = lookback; k >= 1; k--) {
        LocalDate m = month.minusMonths(k);
        out.add(new LocalDate[] {m, m.withDayOfMonth(m.lengthOfMonth())});
      }
      return out;
    }
    Duration len = w.length();
    if (len.compareTo(Duration.ofDays(1)) < 0 || !len.equals(Duration.ofDays(len.toDays()))) {
      return null;
    }
    long days = len.toDays();
    LocalDate end = today.minusDays(1);
    for (int k = lookback - 1; k >= 0; k--) {
      LocalDate last = end.minusDays(k * days);
      out.add(new LocalDate[] {last.minusDays(days - 1), last});
    }
    return out;
  }

  /** The first day {@link #advise} reads for this tier. */
  public static LocalDate adviceFrom(TierConfig tier, LocalDate today, int lookback) {
    LocalDate from = today;
    for (LimitConfig l : tier.limits()) {
      List<LocalDate[]> ps = periodsOf(l.limit().window(), today, lookback);
      if (ps != null && l.scope() != Scope.CONVERSATION && ps.get(0)[0].isBefore(from)) {
        from = ps.get(0)[0];
      }
    }
    return from;
  }

  /**
   * The advice on every limit of {@code tier} from its rows covering {@link #adviceFrom} to
   * yesterday.
   *
   * @param percentile in (0, 100]
   * @param headroom at least 1
   * @param lookback periods of each limit's window, at least 1
   */
  public static List<LimitAdvice> advise(
      TierConfig tier,
      List<DailyUsageRow> rows,
      LocalDate today,
      double percentile,
      double headroom,
      int lookback) {
    return advise(
        tier,
        today,
        percentile,
        headroom,
        lookback,
        (l, periods) -> adviceSums(tier.name(), l.scope(), l.limit().unit(), rows, periods));
  }

  /**
   * The advice on every limit of {@code tier}, from the sums {@code sums} gives for a limit and its
   * periods ({@link #periodsOf}; asked only for the limits that can be advised).
   *
   * @param percentile in (0, 100]
   * @param headroom at least 1
   * @param lookback periods of each limit's window, at least 1
   */
  public static List<LimitAdvice> advise(
      TierConfig tier,
      LocalDate today,
      double percentile,
      double headroom,
      int lookback,
      BiFunction<LimitConfig, List<LocalDate[]>, AdviceSums> sums) {
    List<LimitAdvice> out = new ArrayList<>();
    for (LimitConfig l : tier.limits()) {
      out.add(adviseOne(l, sums, today, percentile, headroom, lookback));
    }
    return out;
  }

  /**
   * The sums of the rows of {@code tier} in {@code periods} (consecutive), by subject of {@code
   * scope} and period, in {@code unit}.
   */
  public static AdviceSums adviceSums(
      String tierName,
      Scope scope,
      Unit unit,
      List<DailyUsageRow> rows,
      List<LocalDate[]> periods) {
    boolean usd = unit == Unit.NANO_USD;
    long firstDay = periods.get(0)[0].toEpochDay();
    int nDays = (int) (periods.get(periods.size() - 1)[1].toEpochDay() - firstDay + 1);
    int[] periodOf = new int[nDays];
    for (int pi = 0; pi < periods.size(); pi++) {
      for (LocalDate d = periods.get(pi)[0]; !d.isAfter(periods.get(pi)[1]); d = d.plusDays(1)) {
        periodOf[(int) (d.toEpochDay() - firstDay)] = pi;
      }
    }
    int np = periods.size();
    HashMap<String, Integer> subjects = new HashMap<>();
    long[] usage = new long[64 * np];
    long[] requests = new long[64 * np];
    long allTokens = 0;
    long allNano = 0;
    for (DailyUsageRow r : rows) {
      long d = r.key().day().toEpochDay() - firstDay;
      if (d < 0 || d >= nDays || !r.key().tier().equals(tierName)) {
        continue;
      }
      String subject =
          switch (scope) {
            case USER -> r.key().user();
            case KEY -> r.key().serviceKey();
            default -> "";
          };
      Integer s = subjects.get(subject);
      if (s == null) {
        s = subjects.size();
        subjects.put(subject, s);
      }
      int si = s;
      if ((si + 1) * np > usage.length) {
        usage = Arrays.copyOf(usage, usage.length * 2);
        requests = Arrays.copyOf(requests, requests.length * 2);
      }
      DailyUsage u = r.usage();
      long tokens = u.inputTokens() + u.outputTokens();
      int cell = si * np + periodOf[(int) d];
      usage[cell] += usd ? u.nanoUsd() : tokens;
      requests[cell] += u.requests();
      allTokens += tokens;
      allNano += u.nanoUsd();
    }
    return new AdviceSums(subjects.size(), np, usage, requests, allTokens, allNano);
  }

  private static LimitAdvice adviseOne(
      LimitConfig l,
      BiFunction<LimitConfig, List<LocalDate[]>, AdviceSums> sums,
      LocalDate today,
      double percentile,
      double headroom,
      int lookback) {
    Limit limit = l.limit();
    String scope = l.scope().configName();
    String window = limit.window().name();
    boolean usd = limit.unit() == Unit.NANO_USD;
    String unit = unitName(limit.unit());
    double current = display(limit.unit(), limit.max());
    if (l.scope() == Scope.CONVERSATION) {
      return notAdvisable(
          scope,
          window,
          unit,
          current,
          "conversation limits are not advisable: the ledger has no conversation ids");
    }
    if (limit.unit() == Unit.REQUESTS) {
      return notAdvisable(
          scope,
          window,
          unit,
          current,
          "request limits are not advised: routes that count requests only are not in the ledger");
    }
    List<LocalDate[]> periods = periodsOf(limit.window(), today, lookback);
    if (periods == null) {
      return notAdvisable(
          scope,
          window,
          unit,
          current,
          "a sliding window shorter than a day (or not whole days) cannot be derived from daily"
              + " rows");
    }
    LocalDate first = periods.get(0)[0];
    int np = periods.size();
    AdviceSums cells = sums.apply(l, periods);
    long[] usage = cells.usage();
    long[] requests = cells.requests();
    long allTokens = cells.allTokens();
    long allNano = cells.allNanoUsd();
    int ns = cells.subjects();
    long[] samples = new long[ns * np];
    int n = 0;
    for (int c = 0; c < ns * np; c++) {
      if (requests[c] > 0) {
        samples[n++] = usage[c];
      }
    }
    String periodsNote =
        "over the "
            + np
            + " complete "
            + (limit.window().calendarMonth() ? "month" : window + " period")
            + (np == 1 ? "" : "s")
            + " from "
            + first
            + " to "
            + periods.get(np - 1)[1];
    double nanoPerToken = allTokens == 0 ? 0 : (double) allNano / allTokens;
    if (n == 0) {
      return new LimitAdvice(
          scope,
          window,
          unit,
          current,
          0,
          false,
          "no usage " + periodsNote,
          0,
          0,
          0,
          worstCase(usd, limit.max(), nanoPerToken),
          0,
          0,
          0);
    }
    long pct = Distribution.percentile(samples, n, percentile);
    double raw = display(limit.unit(), pct) * headroom;
    if (!(raw > 0)) {
      return new LimitAdvice(
          scope,
          window,
          unit,
          current,
          0,
          false,
          "usage at the percentile is zero " + periodsNote,
          n,
          refused(usage, requests, ns, np, limit.max()),
          0,
          worstCase(usd, limit.max(), nanoPerToken),
          0,
          projected(usage, ns, np, limit.max(), usd, nanoPerToken),
          0);
    }
    double suggested = Readable.ceil(raw);
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
        unit,
        current,
        suggested,
        true,
        "p" + trim(percentile) + " × " + trim(headroom) + " " + periodsNote,
        n,
        refused(usage, requests, ns, np, limit.max()),
        refused(usage, requests, ns, np, suggestedMax),
        worstCase(usd, limit.max(), nanoPerToken),
        worstCase(usd, suggestedMax, nanoPerToken),
        projected(usage, ns, np, limit.max(), usd, nanoPerToken),
        projected(usage, ns, np, suggestedMax, usd, nanoPerToken));
  }

  private static long refused(long[] usage, long[] requests, int ns, int np, long max) {
    long count = 0;
    for (int s = 0; s < ns; s++) {
      for (int p = 0; p < np; p++) {
        if (usage[s * np + p] > max) {
          count++;
          break;
        }
      }
    }
    return count;
  }

  private static double worstCase(boolean usd, long max, double nanoPerToken) {
    return usd ? max / NANO_PER_USD : max * nanoPerToken / NANO_PER_USD;
  }

  private static double projected(
      long[] usage, int ns, int np, long max, boolean usd, double nanoPerToken) {
    // summed exactly (saturating), so that the cells' order does not matter
    long sum = 0;
    for (int c = 0; c < ns * np; c++) {
      long v = Math.min(usage[c], max);
      sum = sum > Long.MAX_VALUE - v ? Long.MAX_VALUE : sum + v;
    }
    double perPeriod = (double) sum / np;
    return usd ? perPeriod / NANO_PER_USD : perPeriod * nanoPerToken / NANO_PER_USD;
  }

  private static LimitAdvice notAdvisable(
      String scope, String window, String unit, double current, String note) {
    return new LimitAdvice(scope, window, unit, current, 0, false, note, 0, 0, 0, 0, 0, 0, 0);
  }

  private static String trim(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
  }

  private static UsageReport.LimitRefusals refusals(String key, ReportSums.KeyRefusals acc) {
    int colon = key.indexOf(':');
    String scope = colon < 0 ? key : key.substring(0, colon);
    String window = colon < 0 ? "" : key.substring(colon + 1);
    return new UsageReport.LimitRefusals(scope, window, acc.users(), acc.count());
  }

  static String unitName(Unit unit) {
    return unit.configName();
  }

  static double display(Unit unit, long amount) {
    return unit == Unit.NANO_USD ? amount / NANO_PER_USD : amount;
  }

  /** The rows in day order (stable), without copying when they already are. */
  static List<DailyUsageRow> byDay(List<DailyUsageRow> rows) {
    for (int i = 1; i < rows.size(); i++) {
      if (rows.get(i).key().day().isBefore(rows.get(i - 1).key().day())) {
        List<DailyUsageRow> copy = new ArrayList<>(rows);
        copy.sort(Comparator.comparing(r -> r.key().day()));
        return copy;
      }
    }
    return rows;
  }

  private static final class RefusalAcc {
    long count;
    final BitSet users = new BitSet();
  }
}
