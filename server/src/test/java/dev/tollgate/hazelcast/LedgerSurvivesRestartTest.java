package dev.tollgate.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tollgate.config.PersistenceConfig;
import dev.tollgate.ledger.DailyUsage;
import dev.tollgate.ledger.DailyUsageRow;
import dev.tollgate.ledger.LedgerKey;
import dev.tollgate.persistence.Database;
import dev.tollgate.persistence.LedgerTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The ledger's daily aggregates are written behind to the database: a member stopped as on SIGTERM
 * (ledger closed, then the store: both maps flushed) and started again adds to the stored rows, and
 * the table answers a tier's period.
 */
class LedgerSurvivesRestartTest {
  @Test
  void dailyAggregatesSurviveAGracefulRestartAndKeepAdding() throws Exception {
    Path dir = Files.createTempDirectory("tollgate-ledger-db");
    PersistenceConfig cfg = PersistenceConfig.file(dir);
    Clock clock = Clock.systemUTC();
    LocalDate today = LedgerKey.utcDay(clock.millis());
    LedgerKey alice = new LedgerKey(today, "pro", "alice", "web", "m");
    LedgerKey bob = new LedgerKey(today.minusDays(1), "pro", "bob", "web", "m");
    LedgerKey free = new LedgerKey(today, "free", "carol", "web", "m");
    try (HazelcastTestCluster cluster =
        new HazelcastTestCluster(
            1, 0, Duration.ofSeconds(5), i -> PersistentMaps.open(cfg, clock))) {
      HazelcastUsageLedger ledger = new HazelcastUsageLedger(cluster.members.get(0), clock);
      ledger.settled(alice, 100, 20, 50, 1_000);
      ledger.refused(alice, "user", "1d");
      ledger.settled(bob, 10, 0, 5, 100);
      ledger.refunded(free);
      ledger.close();

      cluster.restartAll();

      ledger = new HazelcastUsageLedger(cluster.members.get(0), clock);
      // a merge into a day that is not in memory adds to the stored row
      ledger.settled(alice, 1, 0, 1, 10);
      ledger.close();
      assertEquals(
          new DailyUsage(2, 0, 101, 20, 51, 1_010, Map.of("user:1d", 1L)),
          ledger.read("pro", today, today).get(0).usage());
      cluster.restartAll();
    }
    try (Database db = Database.open(cfg)) {
      List<DailyUsageRow> rows = new LedgerTable(db).read("pro", today.minusDays(7), today);
      assertEquals(
          List.of(
              new DailyUsageRow(bob, DailyUsage.settled(10, 0, 5, 100)),
              new DailyUsageRow(
                  alice, new DailyUsage(2, 0, 101, 20, 51, 1_010, Map.of("user:1d", 1L)))),
          rows);
      assertEquals(
          List.of(new DailyUsageRow(free, DailyUsage.refunded())),
          new LedgerTable(db).read("free", today, today));
    }
    // the maintenance deletes the days past the retention (400 days by default) only
    Clock later =
        Clock.fixed(
            today.plusDays(400).atStartOfDay(java.time.ZoneOffset.UTC).toInstant(),
            java.time.ZoneOffset.UTC);
    try (PersistentMaps maps = PersistentMaps.open(cfg, later)) {
      maps.deleteExpired();
      LedgerTable table = new LedgerTable(maps.database());
      assertEquals(List.of(), table.read("pro", today.minusDays(1), today.minusDays(1)));
      assertEquals(1, table.read("pro", today, today).size());
    }
  }
}
