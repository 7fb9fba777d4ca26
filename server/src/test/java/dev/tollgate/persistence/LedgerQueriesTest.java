package dev.tollgate.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.TestConfigs;
import dev.tollgate.analytics.AdviceSums;
import dev.tollgate.analytics.Analytics;
import dev.tollgate.analytics.LedgerSums;
import dev.tollgate.analytics.Period;
import dev.tollgate.analytics.ReportSums;
import dev.tollgate.analytics.TopBy;
import dev.tollgate.analytics.UsageReport;
import dev.tollgate.analytics.UserTotal;
import dev.tollgate.config.PersistenceConfig;
import dev.tollgate.config.TollgateConfig;
import dev.tollgate.ledger.DailyUsage;
import dev.tollgate.ledger.DailyUsageRow;
import dev.tollgate.ledger.LedgerKey;
import dev.tollgate.quota.Scope;
import dev.tollgate.quota.Unit;
import java.nio.file.Files;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The analytics from the sums the database keeps ({@link LedgerQueries}) equal the analytics from
 * the same rows in memory, on H2 and on PostgreSQL: reports by day, week and month over ranges
 * crossing months, top users by every measure, and advice on user, key and global limits in tokens
 * and USD; whether the sums were computed by the schema migration from rows written before them, or
 * kept as rows were written in batches (rewritten, deleted). The retention deletes the sums of the
 * days, weeks and months it ends.
 */
class LedgerQueriesTest {
  private static final String LIMITS =
      """
      - { scope: user,         window: 1d,    tokens: 3000 }
      - { scope: user,         window: 7d,    usd: 0.002 }
      - { scope: user,         window: month, tokens: 40000 }
      - { scope: key,          window: 2d,    tokens: 9000 }
      - { scope: global,       window: month, usd: 0.5 }
      - { scope: global,       window: 1h,    tokens: 5000 }
      - { scope: conversation, window: 1h,    tokens: 5000 }
      """;
  private static final TollgateConfig CONFIG = TestConfigs.withLimits(LIMITS);
  private static final LocalDate FIRST = LocalDate.parse("2026-10-20");
  private static final int DAYS = 60;

  @Test
  void onTheFileDatabase() throws Exception {
    java.nio.file.Path dir = Files.createTempDirectory("tollgate-ledger-sums");
    PersistenceConfig config = PersistenceConfig.file(dir);
    writeBeforeTheSums(
        "jdbc:h2:file:" + dir.resolve("tollgate").toAbsolutePath() + ";MODE=PostgreSQL",
        "tollgate",
        "");
    try (Database db = Database.open(config)) {
      check(db, rows(new Random(7)));
      emptyTables(db);
      compare(db);
      retention(db);
    }
  }

  @Test
  void onPostgresql() throws Exception {
    try (TestPostgres pg = TestPostgres.start()) {
      writeBeforeTheSums(pg.jdbcUrl(), pg.username(), pg.password());
      try (Database db = Database.open(pg.persistence(2))) {
        check(db, rows(new Random(7)));
        emptyTables(db);
        compare(db);
        retention(db);
      }
    }
  }

  /**
   * A database of schema version 3 (no sums) holding the rows of {@link #rows}: the migration to
   * the current version computes their sums from the rows.
   */
  private static void writeBeforeTheSums(String url, String user, String password)
      throws SQLException {
    org.flywaydb.core.Flyway.configure()
        .dataSource(url, user, password)
        .locations("classpath:db/migration")
        .table("tollgate_schema_history")
        .target("3")
        .load()
        .migrate();
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(url, user, password);
        java.sql.PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO tollgate_usage_ledger VALUES"
                    + " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)")) {
      for (DailyUsageRow r : rows(new Random(7))) {
        LedgerKey k = r.key();
        DailyUsage u = r.usage();
        ps.setString(1, k.id());
        ps.setDate(2, java.sql.Date.valueOf(k.day()));
        ps.setString(3, k.tier());
        ps.setString(4, k.user());
        ps.setString(5, k.serviceKey());
        ps.setString(6, k.model());
        ps.setLong(7, u.requests());
        ps.setLong(8, u.refundedRequests());
        ps.setLong(9, u.inputTokens());
        ps.setLong(10, u.cachedInputTokens());
        ps.setLong(11, u.outputTokens());
        ps.setLong(12, u.nanoUsd());
        ps.setString(13, LedgerTable.refusalsText(u.refusals()));
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  private static void emptyTables(Database db) throws SQLException {
    try (java.sql.Connection c = db.connection();
        java.sql.Statement st = c.createStatement()) {
      for (String t :
          List.of(
              "tollgate_usage_ledger",
              "tollgate_usage_user_period",
              "tollgate_usage_day",
              "tollgate_usage_day_model",
              "tollgate_usage_day_refusal")) {
        st.executeUpdate("DELETE FROM " + t);
      }
    }
  }

  /**
   * The retention deletes the sums of the days it deletes, and of the weeks and months that ended
   * before the oldest day kept; the months and weeks that go on keep their sums.
   */
  private static void retention(Database db) throws SQLException {
    LocalDate oldest = LocalDate.parse("2026-11-04"); // a Wednesday
    new LedgerTable(db).deleteBefore(oldest);
    try (java.sql.Connection c = db.connection();
        java.sql.Statement st = c.createStatement()) {
      for (String[] q :
          new String[][] {
            {"tollgate_usage_day", "usage_day < DATE '2026-11-04'", "0"},
            {"tollgate_usage_day_model", "usage_day < DATE '2026-11-04'", "0"},
            {"tollgate_usage_day_refusal", "usage_day < DATE '2026-11-04'", "0"},
            {
              "tollgate_usage_user_period",
              "period_kind = 'D' AND period_start < DATE '2026-11-04'",
              "0"
            },
            {
              "tollgate_usage_user_period",
              "period_kind = 'W' AND period_start < DATE '2026-11-02'",
              "0"
            },
            {
              "tollgate_usage_user_period",
              "period_kind = 'M' AND period_start < DATE '2026-11-01'",
              "0"
            },
            {
              "tollgate_usage_user_period",
              "period_kind = 'W' AND period_start = DATE '2026-11-02'",
              "+"
            },
            {
              "tollgate_usage_user_period",
              "period_kind = 'M' AND period_start = DATE '2026-11-01'",
              "+"
            },
            {"tollgate_usage_day", "usage_day >= DATE '2026-11-04'", "+"},
          }) {
        try (java.sql.ResultSet rs =
            st.executeQuery("SELECT COUNT(*) FROM " + q[0] + " WHERE " + q[1])) {
          rs.next();
          long n = rs.getLong(1);
          assertTrue(q[2].equals("0") ? n == 0 : n > 0, q[0] + " where " + q[1] + ": " + n);
        }
      }
    }
  }

  private static void compare(Database db) throws Exception {
    List<DailyUsageRow> rows = rows(new Random(7));
    write(new LedgerTable(db), rows, new Random(11));
    check(db, rows);
  }

  /** The analytics from the database's sums equal those from {@code rows} in memory. */
  private static void check(Database db, List<DailyUsageRow> rows) {
    LedgerQueries queries = new LedgerQueries(db);
    for (String today : List.of("2026-11-03", "2026-12-02", "2026-12-19")) {
      Clock clock = Clock.fixed(Instant.parse(today + "T12:00:00Z"), ZoneOffset.UTC);
      Analytics memory =
          new Analytics(
              CONFIG.tiers(),
              (tier, from, to) ->
                  rows.stream()
                      .filter(
                          r ->
                              r.key().tier().equals(tier)
                                  && !r.key().day().isBefore(from)
                                  && !r.key().day().isAfter(to))
                      .toList(),
              clock);
      Analytics database = new Analytics(CONFIG.tiers(), sums(queries), clock);
      for (String tier : List.of("default")) { // the rows of "pro" are not its
        for (Period period : Period.values()) {
          for (LocalDate[] range :
              List.of(
                  new LocalDate[] {null, null},
                  new LocalDate[] {FIRST, FIRST.plusDays(DAYS - 1)},
                  new LocalDate[] {LocalDate.parse("2026-11-09"), LocalDate.parse("2026-11-09")},
                  // no rows at all
                  new LocalDate[] {LocalDate.parse("2026-01-01"), LocalDate.parse("2026-01-31")})) {
            String what = tier + " " + period + " " + range[0] + ".." + range[1] + " on " + today;
            UsageReport expected = memory.report(tier, period, range[0], range[1]);
            assertEquals(expected, database.report(tier, period, range[0], range[1]), what);
            for (TopBy by : TopBy.values()) {
              assertEquals(
                  memory.topUsers(tier, period, range[0], range[1], by, Analytics.MAX_TOP),
                  database.topUsers(tier, period, range[0], range[1], by, Analytics.MAX_TOP),
                  what + " top by " + by);
              assertEquals(
                  memory.topUsers(tier, period, range[0], range[1], by, 3),
                  database.topUsers(tier, period, range[0], range[1], by, 3),
                  what + " top 3 by " + by);
            }
          }
        }
        for (int lookback : new int[] {1, 2, 3}) {
          for (double percentile : new double[] {50, 95, 100}) {
            assertEquals(
                memory.advise(tier, percentile, 1.2, lookback),
                database.advise(tier, percentile, 1.2, lookback),
                tier + " advice p" + percentile + " lookback " + lookback + " on " + today);
          }
        }
      }
    }
    // the comparison has something to compare: the report has users, models and refusals
    UsageReport r =
        new Analytics(CONFIG.tiers(), sums(queries), Clock.systemUTC())
            .report("default", Period.MONTH, FIRST, FIRST.plusDays(DAYS - 1));
    assertTrue(r.activeUsers() > 20, "active users: " + r.activeUsers());
    assertTrue(r.models().size() == 3, "models: " + r.models());
    assertTrue(r.refusals().stream().anyMatch(x -> x.refusals() > 0), "refusals: " + r.refusals());
  }

  /**
   * Writes {@code rows} as the write-behind store does, so that the sums kept beside the ledger see
   * every kind of change: earlier, smaller values of some rows first (a day with no requests yet,
   * fewer refusals), rows that are written and then deleted (summed before or not), then the final
   * values in overlapping batches (a key written again with the same value), with catch-ups of the
   * sums between the writes.
   */
  private static void write(LedgerTable table, List<DailyUsageRow> rows, Random rnd)
      throws SQLException {
    Map<String, DailyUsageRow> earlier = new LinkedHashMap<>();
    Map<String, DailyUsageRow> gone = new LinkedHashMap<>();
    for (DailyUsageRow r : rows) {
      if (rnd.nextInt(3) == 0) {
        earlier.put(r.key().id(), new DailyUsageRow(r.key(), half(r.usage())));
      }
      if (rnd.nextInt(10) == 0) {
        LedgerKey k = r.key();
        LedgerKey other = new LedgerKey(k.day(), k.tier(), k.user(), k.serviceKey(), "gone-model");
        gone.put(other.id(), new DailyUsageRow(other, r.usage()));
      }
    }
    table.storeAll(earlier, 0);
    table.storeAll(gone, 0);
    // some of the rows to be deleted summed, then written again (dirty), then deleted; the others
    // deleted before any catch-up saw them
    List<String> goneIds = new ArrayList<>(gone.keySet());
    Map<String, DailyUsageRow> summedFirst = new LinkedHashMap<>();
    for (String id : goneIds.subList(0, goneIds.size() / 2)) {
      summedFirst.put(id, gone.get(id));
    }
    table.deleteAll(goneIds.subList(goneIds.size() / 2, goneIds.size()));
    assertTrue(table.catchUp() > 0);
    summedFirst.replaceAll((id, r) -> new DailyUsageRow(r.key(), half(r.usage())));
    table.storeAll(summedFirst, 0);
    table.deleteAll(goneIds);
    table.storeAll(gone, 0);
    table.deleteAll(goneIds);
    for (int from = 0; from < rows.size(); from += 200) {
      if (rnd.nextInt(4) == 0) {
        table.catchUp(); // rows summed at their earlier values, then written again
      }
      Map<String, DailyUsageRow> batch = new LinkedHashMap<>();
      // overlapping: the previous batch's last 50 rows again
      for (DailyUsageRow r :
          rows.subList(Math.max(0, from - 50), Math.min(rows.size(), from + 200))) {
        batch.put(r.key().id(), r);
      }
      table.storeAll(batch, 0);
    }
  }

  /** Half of every count (a refusal count of 1 disappears): what a row held earlier in the day. */
  private static DailyUsage half(DailyUsage u) {
    Map<String, Long> refusals = new HashMap<>();
    u.refusals()
        .forEach(
            (k, v) -> {
              if (v / 2 > 0) {
                refusals.put(k, v / 2);
              }
            });
    return new DailyUsage(
        u.requests() / 2,
        u.refundedRequests() / 2,
        u.inputTokens() / 2,
        u.cachedInputTokens() / 2,
        u.outputTokens() / 2,
        u.nanoUsd() / 2,
        refusals);
  }

  /**
   * Random rows of two tiers: users whose ids sort differently by byte, by locale and by case (the
   * analytics order them as Java does), several keys and models, rows with refusals only.
   */
  private static List<DailyUsageRow> rows(Random rnd) {
    String[] users = new String[40];
    String[] stems = {"alice", "Bob", "_carol", "dave-1", "Émile", "zed", "ALICE", "b ob"};
    for (int u = 0; u < users.length; u++) {
      users[u] = stems[u % stems.length] + (u / stems.length);
    }
    String[] keys = {"web", "batch", "Web"};
    String[] models = {"gpt-4o", "gpt-4o-mini", "o1"};
    String[] refusalKeys = {"user:1d", "user:7d", "key:2d", "global:1h", "user:30m"};
    Map<String, DailyUsage> out = new HashMap<>();
    List<LedgerKey> order = new ArrayList<>();
    for (int i = 0; i < 1500; i++) {
      LedgerKey k =
          new LedgerKey(
              FIRST.plusDays(rnd.nextInt(DAYS)),
              rnd.nextInt(4) == 0 ? "pro" : "default",
              users[rnd.nextInt(users.length)],
              keys[rnd.nextInt(keys.length)],
              models[rnd.nextInt(models.length)]);
      Map<String, Long> refusals = new HashMap<>();
      if (rnd.nextInt(6) == 0) {
        for (int j = 0; j <= rnd.nextInt(2); j++) {
          refusals.put(refusalKeys[rnd.nextInt(refusalKeys.length)], 1L + rnd.nextInt(4));
        }
      }
      long requests = rnd.nextInt(8) == 0 ? 0 : 1 + rnd.nextInt(30);
      long in = requests * rnd.nextInt(900);
      long out1 = requests * rnd.nextInt(300);
      DailyUsage u =
          new DailyUsage(
              requests,
              requests == 0 ? 0 : rnd.nextInt((int) requests + 1) / 4,
              in,
              in / 3,
              out1,
              in * 150 + out1 * 600,
              refusals);
      DailyUsage before = out.get(k.id());
      if (before == null) {
        order.add(k);
        out.put(k.id(), u);
      } else {
        out.put(k.id(), before.plus(u));
      }
    }
    List<DailyUsageRow> rows = new ArrayList<>();
    for (LedgerKey k : order) {
      rows.add(new DailyUsageRow(k, out.get(k.id())));
    }
    return rows;
  }

  private static LedgerSums sums(LedgerQueries q) {
    return new LedgerSums() {
      @Override
      public ReportSums report(String tier, Period period, LocalDate from, LocalDate to) {
        try {
          return q.report(tier, period, from, to);
        } catch (SQLException e) {
          throw new IllegalStateException(e);
        }
      }

      @Override
      public List<UserTotal> users(String tier, LocalDate from, LocalDate to) {
        try {
          return q.users(tier, from, to);
        } catch (SQLException e) {
          throw new IllegalStateException(e);
        }
      }

      @Override
      public AdviceSums advice(String tier, Scope scope, Unit unit, List<LocalDate[]> periods) {
        try {
          return q.advice(tier, scope, unit, periods);
        } catch (SQLException e) {
          throw new IllegalStateException(e);
        }
      }
    };
  }
}
