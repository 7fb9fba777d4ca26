package dev.tollgate.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.config.PersistenceConfig;
import dev.tollgate.ledger.DailyUsage;
import dev.tollgate.ledger.DailyUsageRow;
import dev.tollgate.ledger.LedgerKey;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The sums caught up while rows are written: writers (each its own keys, as each member writes the
 * partitions it owns) rewrite rows with growing values and delete some, while two replicas'
 * catch-ups run over and over; once the writes end and one last catch-up has run, every sum equals
 * the sum of the ledger's rows computed by the database ({@code GROUP BY}), on PostgreSQL (row
 * locks, rows being written skipped) and on the file database.
 */
class LedgerCatchUpTest {
  private static final LocalDate DAY = LocalDate.parse("2026-11-29");

  @Test
  void onPostgresql() throws Exception {
    try (TestPostgres pg = TestPostgres.start();
        Database a = open(pg);
        Database b = open(pg)) {
      race(a, b);
    }
  }

  @Test
  void onTheFileDatabase() throws Exception {
    try (Database db =
        Database.open(PersistenceConfig.file(Files.createTempDirectory("tollgate-catch-up")))) {
      race(db, db);
    }
  }

  private static Database open(TestPostgres pg) {
    return Database.open(pg.persistence(4));
  }

  private static void race(Database a, Database b) throws Exception {
    LedgerTable[] replicas = {new LedgerTable(a), new LedgerTable(b)};
    ExecutorService pool = Executors.newFixedThreadPool(6);
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicInteger summed = new AtomicInteger();
    try {
      List<Future<?>> writers = new ArrayList<>();
      for (int w = 0; w < 4; w++) {
        int writer = w;
        writers.add(pool.submit(() -> write(replicas[writer % 2], writer)));
      }
      List<Future<?>> catchUps = new ArrayList<>();
      for (LedgerTable t : replicas) {
        catchUps.add(
            pool.submit(
                () -> {
                  while (writing.get()) {
                    summed.addAndGet(t.catchUp());
                  }
                  return null;
                }));
      }
      for (Future<?> f : writers) {
        f.get(120, TimeUnit.SECONDS);
      }
      writing.set(false);
      for (Future<?> f : catchUps) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    replicas[0].catchUp();
    assertTrue(summed.get() > 0, "the catch-ups ran while rows were written");
    try (Connection c = a.connection();
        Statement st = c.createStatement()) {
      assertEquals(0, count(st, "SELECT COUNT(*) FROM tollgate_usage_ledger WHERE dirty"));
      assertEquals(
          rows(
              st,
              "SELECT tier, usage_day, user_id, SUM(requests), SUM(input_tokens + output_tokens),"
                  + " SUM(nano_usd), COUNT(*) FROM tollgate_usage_ledger"
                  + " GROUP BY tier, usage_day, user_id"),
          rows(
              st,
              "SELECT tier, period_start, user_id, requests, tokens, nano_usd, ledger_rows"
                  + " FROM tollgate_usage_user_period WHERE period_kind = 'D' AND ledger_rows > 0"));
      assertEquals(
          rows(
              st,
              "SELECT tier, usage_day, model, SUM(requests), SUM(input_tokens),"
                  + " SUM(cached_input_tokens), SUM(output_tokens), SUM(nano_usd), COUNT(*)"
                  + " FROM tollgate_usage_ledger GROUP BY tier, usage_day, model"),
          rows(
              st,
              "SELECT tier, usage_day, model, requests, input_tokens, cached_input_tokens,"
                  + " output_tokens, nano_usd, ledger_rows FROM tollgate_usage_day_model"
                  + " WHERE ledger_rows > 0"));
      assertEquals(
          rows(
              st,
              "SELECT tier, usage_day, SUM(CASE WHEN requests > 0 THEN 1 ELSE 0 END), SUM(requests),"
                  + " SUM(tokens), SUM(nano_usd) FROM (SELECT tier, usage_day, user_id,"
                  + " SUM(requests) AS requests, SUM(input_tokens + output_tokens) AS tokens,"
                  + " SUM(nano_usd) AS nano_usd FROM tollgate_usage_ledger"
                  + " GROUP BY tier, usage_day, user_id) u GROUP BY tier, usage_day"),
          rows(
              st,
              "SELECT tier, usage_day, active_users, requests, tokens, nano_usd"
                  + " FROM tollgate_usage_day"));
    }
  }

  /**
   * Writer {@code w}'s keys: 200 rows of its own users, written 30 times with growing values in
   * batches of 50, a tenth of them deleted on the way (and written again later).
   */
  private static Void write(LedgerTable table, int w) throws Exception {
    Random rnd = new Random(w);
    List<LedgerKey> keys = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      keys.add(
          new LedgerKey(
              DAY.plusDays(i % 3),
              i % 5 == 0 ? "pro" : "default",
              "user-" + w + "-" + (i % 40),
              "key-" + (i % 2),
              "model-" + (i % 4)));
    }
    for (int round = 1; round <= 30; round++) {
      for (int from = 0; from < keys.size(); from += 50) {
        Map<String, DailyUsageRow> batch = new TreeMap<>();
        List<String> deleted = new ArrayList<>();
        for (LedgerKey k : keys.subList(from, from + 50)) {
          if (rnd.nextInt(10) == 0) {
            deleted.add(k.id());
            continue;
          }
          long n = round * (1 + rnd.nextInt(3));
          batch.put(
              k.id(),
              new DailyUsageRow(
                  k,
                  new DailyUsage(
                      n,
                      0,
                      n * 100,
                      n * 10,
                      n * 40,
                      n * 1000,
                      n % 3 == 0 ? Map.of("user:1d", n) : Map.of())));
        }
        table.storeAll(batch, round);
        table.deleteAll(deleted);
      }
    }
    return null;
  }

  private static long count(Statement st, String sql) throws Exception {
    try (ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** The rows of {@code sql}, as text, sorted. */
  private static List<String> rows(Statement st, String sql) throws Exception {
    List<String> out = new ArrayList<>();
    try (ResultSet rs = st.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= n; i++) {
          sb.append(rs.getString(i)).append('|');
        }
        out.add(sb.toString());
      }
    }
    out.sort(null);
    assertTrue(out.size() > 0, sql);
    return out;
  }
}
