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
 * The analytics' sums, read from the sums kept beside the ledger ({@link LedgerRollups}), each
 * query first adding the rows written since the last catch-up ({@link LedgerTable#catchUp}): a
 * report of a month reads one row per user of that month, the days' and models' totals, and the
 * refusals; a range is covered by whole months, then whole ISO weeks, then days. The same SQL on H2
 * (PostgreSQL mode) and PostgreSQL; names are compared and sorted in Java, never by the database's
 * collation. Only advice on service-key limits sums the ledger rows ({@code GROUP BY}).
 */
public final class LedgerQueries {
  /** The longest one analytics statement may run (it sums up to millions of rows). */
  public static final int QUERY_TIMEOUT_SECONDS = 100;

  private final Database db;
  private final LedgerTable ledger;

  public LedgerQueries(Database db) {
    this.db = db;
    this.ledger = new LedgerTable(db);
  }

  /**
   * The sums of the report of {@code tier} over {@code from}..{@code to}, whole periods of {@code
   * period}.
   */
  public ReportSums report(String tier, Period period, LocalDate from, LocalDate to)
      throws SQLException {
    ledger.catchUp();
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
              "SELECT user_id, tokens, nano_usd FROM tollgate_usage_user_period WHERE tier = ?"
                  + " AND period_start BETWEEN ? AND ? AND period_kind = ? AND requests > 0",
              tier,
              from,
              to)) {
        ps.setString(4, kind(period));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
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
      // days: active users, totals, refusals
      long[][] day = new long[nDays][5];
      try (PreparedStatement ps =
          statement(
              c,
              "SELECT usage_day, active_users, requests, tokens, nano_usd, refusals"
                  + " FROM tollgate_usage_day WHERE "
                  + RANGE,
              tier,
              from,
              to)) {
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            long[] t = day[dayIndex(rs.getDate(1), from, nDays)];
            for (int i = 0; i < 5; i++) {
              t[i] = rs.getLong(i + 2);
            }
          }
        }
      }
      // models
      List<UsageReport.ModelTotal> models = new ArrayList<>();
      try (PreparedStatement ps =
          statement(
              c,
              "SELECT model, SUM(requests), SUM(input_tokens), SUM(cached_input_tokens),"
                  + " SUM(output_tokens), SUM(nano_usd) FROM tollgate_usage_day_model WHERE "
                  + RANGE
                  + " GROUP BY model HAVING SUM(ledger_rows) > 0",
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
      // refusals by limit: users refused, count
      Map<String, long[]> counts = new HashMap<>();
      Map<String, HashSet<String>> refused = new HashMap<>();
      try (PreparedStatement ps =
          statement(
              c,
              "SELECT user_id, limit_key, refusals FROM tollgate_usage_day_refusal WHERE "
                  + RANGE
                  + " AND refusals > 0",
              tier,
              from,
              to)) {
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            String limit = rs.getString(2);
            counts.computeIfAbsent(limit, k -> new long[1])[0] += rs.getLong(3);
            refused.computeIfAbsent(limit, k -> new HashSet<>()).add(rs.getString(1));
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
    ledger.catchUp();
    Map<String, long[]> users = new HashMap<>();
    try (Connection c = db.connection()) {
      for (Run run : cover(from, to)) {
        userPeriods(
            c,
            tier,
            run,
            (user, v) -> {
              long[] t = users.get(user);
              if (t == null) {
                users.put(user, v);
              } else {
                for (int i = 0; i < 5; i++) {
                  t[i] = saturatedAdd(t[i], v[i]);
                }
              }
            });
      }
    }
    List<UserTotal> out = new ArrayList<>(users.size());
    for (Map.Entry<String, long[]> e : users.entrySet()) {
      long[] t = e.getValue();
      if (t[4] > 0) {
        out.add(new UserTotal(e.getKey(), t[0], t[1], t[2], t[3]));
      }
    }
    return out;
  }

  /** Takes a user's sums of one period: requests, tokens, nano-USD, refusals, ledger rows. */
  @FunctionalInterface
  private interface UserSums {
    void accept(String user, long[] sums);
  }

  /** Every user's sums of each period of {@code run}. */
  private static void userPeriods(Connection c, String tier, Run run, UserSums sink)
      throws SQLException {
    try (PreparedStatement ps =
        statement(
            c,
            "SELECT user_id, requests, tokens, nano_usd, refusals, ledger_rows"
                + " FROM tollgate_usage_user_period WHERE tier = ?"
                + " AND period_start BETWEEN ? AND ? AND period_kind = ?",
            tier,
            run.first(),
            run.last())) {
      ps.setString(4, run.kind());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          sink.accept(
              rs.getString(1),
              new long[] {
                rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getLong(6)
              });
        }
      }
    }
  }

  /**
   * Consecutive periods of one kind ({@code D}, {@code W} or {@code M}): those starting from {@code
   * first} to {@code last}.
   */
  record Run(String kind, LocalDate first, LocalDate last) {}

  /**
   * {@code from}..{@code to} as whole months, then whole ISO weeks, then days, in order, each
   * kind's consecutive periods one run.
   */
  static List<Run> cover(LocalDate from, LocalDate to) {
    List<Run> out = new ArrayList<>();
    LocalDate d = from;
    while (!d.isAfter(to)) {
      String kind;
      LocalDate next;
      if (d.getDayOfMonth() == 1 && !Period.MONTH.end(d).isAfter(to)) {
        kind = "M";
        next = Period.MONTH.end(d).plusDays(1);
      } else if (d.getDayOfWeek() == java.time.DayOfWeek.MONDAY && !d.plusDays(6).isAfter(to)) {
        kind = "W";
        next = d.plusDays(7);
      } else {
        kind = "D";
        next = d.plusDays(1);
      }
      Run last = out.isEmpty() ? null : out.get(out.size() - 1);
      if (last != null && last.kind().equals(kind)) {
        out.set(out.size() - 1, new Run(kind, last.first(), d));
      } else {
        out.add(new Run(kind, d, d));
      }
      d = next;
    }
    return out;
  }

  private static String kind(Period period) {
    return switch (period) {
      case DAY -> "D";
      case WEEK -> "W";
      case MONTH -> "M";
    };
  }

  /**
   * The sums of {@code tier}'s usage in {@code unit} by subject of {@code scope} and by period.
   *
   * @param periods consecutive, each {@code [first day, last day]}
   */
  public AdviceSums advice(String tier, Scope scope, Unit unit, List<LocalDate[]> periods)
      throws SQLException {
    if (scope == Scope.KEY) {
      return adviceFromLedger(tier, unit, periods);
    }
    ledger.catchUp();
    int np = periods.size();
    HashMap<String, Integer> subjects = new HashMap<>();
    long[][] cells = {new long[64 * np], new long[64 * np]}; // usage, requests
    long[] all = new long[2]; // tokens, nano-USD
    try (Connection c = db.connection()) {
      for (int p = 0; p < np; p++) {
        int period = p;
        UserSums sink =
            (subject, v) -> {
              Integer si = subjects.get(subject);
              if (si == null) {
                si = subjects.size();
                subjects.put(subject, si);
              }
              if ((si + 1) * np > cells[0].length) {
                cells[0] = Arrays.copyOf(cells[0], cells[0].length * 2);
                cells[1] = Arrays.copyOf(cells[1], cells[1].length * 2);
              }
              int cell = si * np + period;
              cells[0][cell] += unit == Unit.NANO_USD ? v[2] : v[1];
              cells[1][cell] += v[0];
              all[0] += v[1];
              all[1] += v[2];
            };
        if (scope == Scope.USER) {
          for (Run run : cover(periods.get(p)[0], periods.get(p)[1])) {
            userPeriods(c, tier, run, sink);
          }
        } else {
          try (PreparedStatement ps =
                  statement(
                      c,
                      "SELECT COUNT(*), SUM(requests), SUM(tokens), SUM(nano_usd)"
                          + " FROM tollgate_usage_day WHERE "
                          + RANGE,
                      tier,
                      periods.get(p)[0],
                      periods.get(p)[1]);
              ResultSet rs = ps.executeQuery()) {
            if (rs.next() && rs.getLong(1) > 0) {
              sink.accept("", new long[] {rs.getLong(2), rs.getLong(3), rs.getLong(4)});
            }
          }
        }
      }
    }
    return new AdviceSums(subjects.size(), np, cells[0], cells[1], all[0], all[1]);
  }

  /** {@link #advice} of service keys, summed over the ledger's rows. */
  private AdviceSums adviceFromLedger(String tier, Unit unit, List<LocalDate[]> periods)
      throws SQLException {
    String subject = "service_key";
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
