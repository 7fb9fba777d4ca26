package dev.tollgate.persistence;

import dev.tollgate.analytics.AdviceSums;
import dev.tollgate.analytics.Period;
import dev.tollgate.analytics.ReportSums;
import dev.tollgate.analytics.UsageReport;
import dev.tollgate.analytics.UserTotal;
import dev.tollgate.quota.Scope;
import dev.tollgate.quota.Unit;
import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

/**
 * The analytics' sums over {@code tollgate_usage_ledger}, summed by the database ({@code GROUP BY})
 * so that only sums cross the connection: one statement per figure group, the same SQL on H2
 * (PostgreSQL mode) and PostgreSQL. Periods are grouped by a {@code CASE} over their last days
 * (dates written as literals, made from {@link LocalDate}s, never from input text); names are
 * compared and sorted in Java, never by the database's collation.
 *
 * <p>Tollgate asks PostgreSQL for these sums ({@code PersistentMaps#sumsInDatabase}); the embedded
 * H2 database groups millions of rows slower than its rows are read and summed in memory.
 */
public final class LedgerQueries {
  /** The longest one analytics statement may run (it sums up to millions of rows). */
  public static final int QUERY_TIMEOUT_SECONDS = 100;

  private static final String TOKENS = "SUM(input_tokens + output_tokens)";

  private final Database db;

  public LedgerQueries(Database db) {
    this.db = db;
  }

  /**
   * The sums of the report of {@code tier} over {@code from}..{@code to}, whole periods of {@code
   * period}.
   */
  public ReportSums report(String tier, Period period, LocalDate from, LocalDate to)
      throws SQLException {
    List<LocalDate[]> periods = new ArrayList<>();
    for (LocalDate d = from; !d.isAfter(to); d = period.end(d).plusDays(1)) {
      periods.add(new LocalDate[] {d, period.end(d)});
    }
    int nDays = (int) (to.toEpochDay() - from.toEpochDay() + 1);
    try (Connection c = db.connection()) {
      // (user, period): the distribution's samples and the active users
      long[] sampleTokens = new long[1024];
      long[] sampleNano = new long[1024];
      int samples = 0;
      HashSet<String> active = new HashSet<>();
      try (PreparedStatement ps =
          statement(
              c,
              "SELECT user_id, SUM(tokens), SUM(nano_usd), SUM(requests) FROM (SELECT user_id, "
                  + (period == Period.DAY ? "usage_day" : bucket(periods))
                  + " AS period, input_tokens + output_tokens AS tokens, nano_usd, requests"
                  + " FROM tollgate_usage_ledger WHERE "
                  + RANGE
                  + ") t GROUP BY user_id, period",
              tier,
              from,
              to)) {
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            if (rs.getLong(4) > 0) {
              if (samples == sampleTokens.length) {
                sampleTokens = Arrays.copyOf(sampleTokens, samples * 2);
                sampleNano = Arrays.copyOf(sampleNano, samples * 2);
              }
              sampleTokens[samples] = rs.getLong(2);
              sampleNano[samples] = rs.getLong(3);
              samples++;
              active.add(rs.getString(1));
            }
          }
        }
      }
      // days: active users, totals
      long[][] day = new long[nDays][5];
      try (PreparedStatement ps =
          statement(
              c,
              "SELECT usage_day, COUNT(DISTINCT CASE WHEN requests > 0 THEN user_id END),"
                  + " SUM(requests), "
                  + TOKENS
                  + ", SUM(nano_usd) FROM tollgate_usage_ledger WHERE "
                  + RANGE
                  + " GROUP BY usage_day",
              tier,
              from,
              to)) {
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            long[] t = day[dayIndex(rs.getDate(1), from, nDays)];
            t[0] = rs.getLong(2);
            t[1] = rs.getLong(3);
            t[2] = rs.getLong(4);
            t[3] = rs.getLong(5);
          }
        }
      }
      // models
      List<UsageReport.ModelTotal> models = new ArrayList<>();
      try (PreparedStatement ps =
          statement(
              c,
              "SELECT model, SUM(requests), SUM(input_tokens), SUM(cached_input_tokens),"
                  + " SUM(output_tokens), SUM(nano_usd) FROM tollgate_usage_ledger WHERE "
                  + RANGE
                  + " GROUP BY model",
              tier,
              from,
              to)) {
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            models.add(
                new UsageReport.ModelTotal(
                    rs.getString(1),
                    rs.getLong(2),
                    rs.getLong(3),
                    rs.getLong(4),
                    rs.getLong(5),
                    rs.getLong(6)));
          }
        }
      }
      // refusals: the few rows that have any, summed here (their counts are text)
      Map<String, long[]> counts = new HashMap<>();
      Map<String, HashSet<String>> refused = new HashMap<>();
      try (PreparedStatement ps =
          statement(
              c,
              "SELECT usage_day, user_id, refusals FROM tollgate_usage_ledger WHERE "
                  + RANGE
                  + " AND refusals <> ''",
              tier,
              from,
              to)) {
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            int d = dayIndex(rs.getDate(1), from, nDays);
            String user = rs.getString(2);
            for (Map.Entry<String, Long> e : LedgerTable.refusals(rs.getString(3)).entrySet()) {
              long n = e.getValue();
              if (n <= 0) {
                continue;
              }
              counts.computeIfAbsent(e.getKey(), k -> new long[1])[0] += n;
              refused.computeIfAbsent(e.getKey(), k -> new HashSet<>()).add(user);
              day[d][4] += n;
            }
          }
        }
      }
      Map<String, ReportSums.KeyRefusals> refusals = new HashMap<>();
      for (Map.Entry<String, long[]> e : counts.entrySet()) {
        refusals.put(
            e.getKey(),
            new ReportSums.KeyRefusals(refused.get(e.getKey()).size(), e.getValue()[0]));
      }
      List<UsageReport.DayTotal> days = new ArrayList<>(nDays);
      for (int d = 0; d < nDays; d++) {
        long[] t = day[d];
        days.add(new UsageReport.DayTotal(from.plusDays(d), t[0], t[1], t[2], t[3], t[4]));
      }
      return new ReportSums(
          sampleTokens, sampleNano, samples, active.size(), days, models, refusals);
    }
  }

  /** Every user of {@code tier} with rows from {@code from} to {@code to}, any order. */
  public List<UserTotal> users(String tier, LocalDate from, LocalDate to) throws SQLException {
    try (Connection c = db.connection()) {
      Map<String, Long> refusals = new HashMap<>();
      try (PreparedStatement ps =
          statement(
              c,
              "SELECT user_id, refusals FROM tollgate_usage_ledger WHERE "
                  + RANGE
                  + " AND refusals <> ''",
              tier,
              from,
              to)) {
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            long n = 0;
            for (long v : LedgerTable.refusals(rs.getString(2)).values()) {
              n = saturatedAdd(n, v);
            }
            refusals.merge(rs.getString(1), n, LedgerQueries::saturatedAdd);
          }
        }
      }
      List<UserTotal> out = new ArrayList<>();
      try (PreparedStatement ps =
          statement(
              c,
              "SELECT user_id, SUM(requests), "
                  + TOKENS
                  + ", SUM(nano_usd) FROM tollgate_usage_ledger WHERE "
                  + RANGE
                  + " GROUP BY user_id",
              tier,
              from,
              to)) {
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            String user = rs.getString(1);
            out.add(
                new UserTotal(
                    user,
                    rs.getLong(2),
                    rs.getLong(3),
                    rs.getLong(4),
                    refusals.getOrDefault(user, 0L)));
          }
        }
      }
      return out;
    }
  }

  /**
   * The sums of {@code tier}'s usage in {@code unit} by subject of {@code scope} and by period.
   *
   * @param periods consecutive, each {@code [first day, last day]}
   */
  public AdviceSums advice(String tier, Scope scope, Unit unit, List<LocalDate[]> periods)
      throws SQLException {
    String subject =
        switch (scope) {
          case USER -> "user_id";
          case KEY -> "service_key";
          default -> "''";
        };
    int np = periods.size();
    HashMap<String, Integer> subjects = new HashMap<>();
    long[] usage = new long[64 * np];
    long[] requests = new long[64 * np];
    long allTokens = 0;
    long allNano = 0;
    try (Connection c = db.connection();
        PreparedStatement ps =
            statement(
                c,
                "SELECT subject, period, SUM(requests), SUM(tokens), SUM(nano_usd) FROM (SELECT "
                    + subject
                    + " AS subject, "
                    + bucket(periods)
                    + " AS period, requests, input_tokens + output_tokens AS tokens, nano_usd"
                    + " FROM tollgate_usage_ledger WHERE "
                    + RANGE
                    + ") t GROUP BY subject, period",
                tier,
                periods.get(0)[0],
                periods.get(np - 1)[1]);
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        String s = rs.getString(1);
        Integer si = subjects.get(s);
        if (si == null) {
          si = subjects.size();
          subjects.put(s, si);
        }
        if ((si + 1) * np > usage.length) {
          usage = Arrays.copyOf(usage, usage.length * 2);
          requests = Arrays.copyOf(requests, requests.length * 2);
        }
        int cell = si * np + rs.getInt(2);
        long tokens = rs.getLong(4);
        long nano = rs.getLong(5);
        usage[cell] += unit == Unit.NANO_USD ? nano : tokens;
        requests[cell] += rs.getLong(3);
        allTokens += tokens;
        allNano += nano;
      }
    }
    return new AdviceSums(subjects.size(), np, usage, requests, allTokens, allNano);
  }

  private static final String RANGE = "tier = ? AND usage_day BETWEEN ? AND ?";

  private static PreparedStatement statement(
      Connection c, String sql, String tier, LocalDate from, LocalDate to) throws SQLException {
    PreparedStatement ps = c.prepareStatement(sql);
    ps.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
    ps.setFetchSize(10_000);
    ps.setString(1, tier);
    ps.setDate(2, Date.valueOf(from));
    ps.setDate(3, Date.valueOf(to));
    return ps;
  }

  /**
   * The index of a row's period: {@code CASE WHEN usage_day <= DATE 'last day of period 0' THEN 0
   * ... ELSE n-1 END}, a derived table's column (H2 does not group by the expression itself); the
   * dates are {@link LocalDate#toString()} (ISO), no input text.
   */
  static String bucket(List<LocalDate[]> periods) {
    if (periods.size() == 1) {
      return "0"; // a derived table's column: grouping by it is not grouping by a constant
    }
    StringBuilder sb = new StringBuilder("CASE");
    for (int p = 0; p < periods.size() - 1; p++) {
      sb.append(" WHEN usage_day <= DATE '").append(periods.get(p)[1]).append("' THEN ").append(p);
    }
    return sb.append(" ELSE ").append(periods.size() - 1).append(" END").toString();
  }

  private static int dayIndex(Date d, LocalDate from, int nDays) throws SQLException {
    long i = d.toLocalDate().toEpochDay() - from.toEpochDay();
    if (i < 0 || i >= nDays) {
      throw new SQLException("a row of " + d + " outside " + from + " + " + nDays + " days");
    }
    return (int) i;
  }

  private static long saturatedAdd(long a, long b) {
    long s = a + b;
    return ((a ^ s) & (b ^ s)) < 0 ? Long.MAX_VALUE : s;
  }
}
