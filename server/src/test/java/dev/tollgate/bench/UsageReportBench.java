package dev.tollgate.bench;

import dev.tollgate.TestConfigs;
import dev.tollgate.analytics.Period;
import dev.tollgate.analytics.TopBy;
import dev.tollgate.analytics.UsageAnalytics;
import dev.tollgate.analytics.UsageReport;
import dev.tollgate.config.PersistenceConfig;
import dev.tollgate.config.Secret;
import dev.tollgate.config.TierConfig;
import dev.tollgate.ledger.DailyUsage;
import dev.tollgate.ledger.DailyUsageRow;
import dev.tollgate.ledger.LedgerKey;
import dev.tollgate.persistence.Database;
import dev.tollgate.persistence.LedgerQueries;
import dev.tollgate.persistence.LedgerTable;
import dev.tollgate.persistence.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The time of a usage report (and top users, and limit advice) over {@code users} × {@code days}
 * ledger rows (one model per user and day, 1% of them with refusals): 100,000 × 30 = 3M rows held
 * in memory by default; with {@code h2} or {@code postgres}, the same rows written to an H2 file
 * database (or a PostgreSQL started for the run) first, in batches of 10,000 as the write-behind
 * store writes them (the sums beside the ledger kept on the way; the time is printed), then each
 * figure computed from those sums ({@link LedgerQueries}, what a report costs with persistence on),
 * checked equal to the in-memory report. With {@code -Dbench.rows=true}, also the former way: every
 * row read, then summed in memory.
 *
 * <p>Run: {@code ./mvnw -q -pl server test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.tollgate.bench.UsageReportBench -Dexec.args="100000 30 [h2 [dir] |
 * postgres]"} (give the JVM a few GB: {@code MAVEN_OPTS=-Xmx6g}; a directory of an earlier H2 run
 * skips the writing; {@code -Dbench.runs=N} runs each figure N times, 5 by default). Prints wall
 * time and the calling thread's CPU time (the latter is less disturbed by other processes on a busy
 * machine; it includes H2's work, which runs in the calling thread, not PostgreSQL's).
 */
public final class UsageReportBench {
  private static final LocalDate FIRST = LocalDate.parse("2026-11-01");

  private UsageReportBench() {}

  public static void main(String[] args) throws Exception {
    int users = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int days = args.length > 1 ? Integer.parseInt(args[1]) : 30;
    String db = args.length > 2 ? args[2] : null;
    if (db != null && !db.equals("h2") && !db.equals("postgres")) {
      throw new IllegalArgumentException("database: " + db + " (expected: h2 or postgres)");
    }
    TierConfig tier = TestConfigs.withLimits(TestConfigs.DEFAULT_LIMITS).tiers().get("default");
    long t0 = System.nanoTime();
    List<DailyUsageRow> rows = rows(users, days);
    System.out.printf(
        "%,d users × %d days = %,d rows generated in %d ms%n",
        users, days, rows.size(), (System.nanoTime() - t0) / 1_000_000);
    LocalDate last = FIRST.plusDays(days - 1);

    time(
        "in memory: UsageReport, period month",
        () -> UsageAnalytics.report(tier, Period.MONTH, FIRST, last, rows));
    time(
        "in memory: UsageReport, period day",
        () -> UsageAnalytics.report(tier, Period.DAY, FIRST, last, rows));
    time("in memory: TopUsers by usd, 100", () -> UsageAnalytics.topUsers(rows, TopBy.USD, 100));
    time(
        "in memory: AdviseLimits (p95, 1.2, lookback 1)",
        () -> UsageAnalytics.advise(tier, rows, last.plusDays(1), 95, 1.2, 1));

    if (db != null) {
      TestPostgres postgres = null;
      PersistenceConfig config;
      boolean reuse = false;
      if (db.equals("postgres")) {
        postgres = TestPostgres.start();
        config =
            new PersistenceConfig(
                PersistenceConfig.Type.JDBC,
                null,
                postgres.jdbcUrl(),
                postgres.username(),
                new Secret(postgres.password(), "bench"),
                PersistenceConfig.DEFAULT_WRITE_DELAY,
                PersistenceConfig.DEFAULT_RETENTION_DAYS,
                2);
      } else {
        // a directory of an earlier run may be given to skip the writing
        Path dir =
            args.length > 3 ? Path.of(args[3]) : Files.createTempDirectory("tollgate-bench-h2");
        reuse = Files.exists(dir.resolve("tollgate.mv.db"));
        config =
            new PersistenceConfig(
                PersistenceConfig.Type.FILE,
                dir,
                null,
                null,
                null,
                PersistenceConfig.DEFAULT_WRITE_DELAY,
                PersistenceConfig.DEFAULT_RETENTION_DAYS,
                2);
      }
      try (Database database = Database.open(config)) {
        String name = database.description();
        LedgerTable table = new LedgerTable(database);
        if (!reuse) {
          long w0 = System.nanoTime();
          Map<String, DailyUsageRow> batch = new LinkedHashMap<>();
          for (DailyUsageRow r : rows) {
            batch.put(r.key().id(), r);
            if (batch.size() == 10_000) {
              table.storeAll(batch, 0);
              batch.clear();
            }
          }
          table.storeAll(batch, 0);
          System.out.printf(
              "%s: %,d rows written in %d ms%n",
              name, rows.size(), (System.nanoTime() - w0) / 1_000_000);
          long s0 = System.nanoTime();
          int summed = table.catchUp();
          System.out.printf(
              "%s: %,d rows added to the sums in %d ms%n",
              name, summed, (System.nanoTime() - s0) / 1_000_000);
          if (postgres != null) {
            try (var c = database.connection();
                var st = c.createStatement()) {
              st.execute("VACUUM ANALYZE"); // as autovacuum would, after so many writes
            }
          }
        }
        LedgerQueries queries = new LedgerQueries(database);
        String tag = db.equals("postgres") ? "PostgreSQL" : "H2";
        UsageReport month =
            (UsageReport)
                time(
                    tag + ": UsageReport, period month (kept sums)",
                    () ->
                        UsageAnalytics.report(
                            tier,
                            Period.MONTH,
                            FIRST,
                            last,
                            queries.report("default", Period.MONTH, FIRST, last)));
        System.out.println(
            "    same as in memory: "
                + month.equals(UsageAnalytics.report(tier, Period.MONTH, FIRST, last, rows)));
        time(
            tag + ": UsageReport, period day (kept sums)",
            () ->
                UsageAnalytics.report(
                    tier,
                    Period.DAY,
                    FIRST,
                    last,
                    queries.report("default", Period.DAY, FIRST, last)));
        time(
            tag + ": TopUsers by usd, 100 (kept sums)",
            () -> UsageAnalytics.topUsers(queries.users("default", FIRST, last), TopBy.USD, 100));
        time(
            tag + ": AdviseLimits (p95, 1.2, lookback 1) (kept sums)",
            () ->
                UsageAnalytics.advise(
                    tier,
                    last.plusDays(1),
                    95,
                    1.2,
                    1,
                    (l, periods) -> {
                      try {
                        return queries.advice("default", l.scope(), l.limit().unit(), periods);
                      } catch (java.sql.SQLException e) {
                        throw new IllegalStateException(e);
                      }
                    }));
        if (Boolean.getBoolean("bench.rows")) {
          // what a report cost before: every row read, then summed in memory
          time(
              tag + ": LedgerTable.readByDay + UsageReport, month",
              () ->
                  UsageAnalytics.report(
                      tier, Period.MONTH, FIRST, last, table.readByDay("default", FIRST, last)));
        }
      } finally {
        if (postgres != null) {
          postgres.close();
        }
      }
    }
  }

  private interface Call {
    Object run() throws Exception;
  }

  private static Object time(String what, Call call) throws Exception {
    int runs = Integer.getInteger("bench.runs", 5);
    long[] ms = new long[runs];
    long[] cpu = new long[runs];
    java.lang.management.ThreadMXBean threads =
        java.lang.management.ManagementFactory.getThreadMXBean();
    Object last = null;
    for (int i = 0; i < runs; i++) {
      long t = System.nanoTime();
      long c = threads.getCurrentThreadCpuTime();
      last = call.run();
      cpu[i] = (threads.getCurrentThreadCpuTime() - c) / 1_000_000;
      ms[i] = (System.nanoTime() - t) / 1_000_000;
    }
    long[] sorted = ms.clone();
    Arrays.sort(sorted);
    long[] sortedCpu = cpu.clone();
    Arrays.sort(sortedCpu);
    System.out.printf(
        "%-52s wall: min %5d ms, median %5d ms; this thread's CPU: median %5d ms (wall runs: %s)%n",
        what, sorted[0], sorted[runs / 2], sortedCpu[runs / 2], Arrays.toString(ms));
    if (last instanceof UsageReport r) {
      System.out.printf(
          "    %,d active users, %,d samples, p95 %,.0f tokens, total $%,.2f%n",
          r.activeUsers(),
          r.tokensPerUser().samples(),
          r.tokensPerUser().p95(),
          r.totalNanoUsd() / 1e9);
    }
    return last;
  }

  private static List<DailyUsageRow> rows(int users, int days) {
    Random rnd = new Random(42);
    String[] names = new String[users];
    for (int u = 0; u < users; u++) {
      names[u] = "user-" + u;
    }
    String[] models = {"gpt-4o-mini", "gpt-4o", "gpt-4"};
    List<DailyUsageRow> rows = new ArrayList<>(users * days);
    Map<String, Long> refused = Map.of("user:1d", 1L);
    for (int d = 0; d < days; d++) {
      LocalDate day = FIRST.plusDays(d);
      for (int u = 0; u < users; u++) {
        long requests = 1 + rnd.nextInt(20);
        long in = (long) (requests * 500 * Math.exp(rnd.nextGaussian()));
        long out = in / 3;
        rows.add(
            new DailyUsageRow(
                new LedgerKey(day, "default", names[u], "web", models[u % 3]),
                new DailyUsage(
                    requests,
                    0,
                    in,
                    in / 4,
                    out,
                    in * 150 + out * 600,
                    rnd.nextInt(100) == 0 ? refused : Map.of())));
      }
    }
    return rows;
  }
}
