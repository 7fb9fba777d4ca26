package dev.tollgate.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tollgate.TestConfigs;
import dev.tollgate.analytics.Analytics;
import dev.tollgate.analytics.Period;
import dev.tollgate.analytics.TopBy;
import dev.tollgate.analytics.UsageReport;
import dev.tollgate.analytics.UserTotal;
import dev.tollgate.config.PersistenceConfig;
import dev.tollgate.config.TollgateConfig;
import dev.tollgate.ledger.DailyUsage;
import dev.tollgate.ledger.DailyUsageRow;
import dev.tollgate.ledger.LedgerKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * What the analytics read with persistence on: the database, after this replica's held-back ledger
 * changes and the map's write-behind queue were written, so that a report sees the last second even
 * with a long {@code write_delay}.
 */
class AnalyticsDatabaseReadTest {
  @Test
  void readsTheDatabaseAfterFlushingTheLedgerAndTheWriteBehind() throws Exception {
    Path dir = Files.createTempDirectory("tollgate-analytics-db");
    PersistenceConfig file = PersistenceConfig.file(dir);
    PersistenceConfig cfg =
        new PersistenceConfig(
            file.type(),
            file.path(),
            null,
            null,
            null,
            Duration.ofSeconds(60), // nothing would reach the database by itself during the test
            file.retentionDays(),
            file.poolSize());
    Clock clock = Clock.systemUTC();
    LocalDate today = LedgerKey.utcDay(clock.millis());
    LedgerKey alice = new LedgerKey(today, "pro", "alice", "web", "m");
    LedgerKey bob = new LedgerKey(today.minusDays(2), "pro", "bob", "web", "m");
    AtomicReference<PersistentMaps> maps = new AtomicReference<>();
    try (HazelcastTestCluster cluster =
        new HazelcastTestCluster(
            1,
            0,
            Duration.ofSeconds(5),
            i -> {
              maps.set(PersistentMaps.open(cfg, clock));
              return maps.get();
            })) {
      HazelcastUsageLedger ledger = new HazelcastUsageLedger(cluster.members.get(0), clock);
      ledger.settled(alice, 100, 20, 50, 1_000);
      ledger.settled(bob, 10, 0, 5, 100);
      ledger.refused(alice, "user", "1d");
      // as Tollgate's reader does: the local buffer, then the map's write-behind
      ledger.flush();
      List<DailyUsageRow> rows =
          maps.get()
              .readLedger(
                  cluster.members.get(0), "pro", today.minusDays(7), today, Duration.ofSeconds(10));
      assertEquals(
          List.of(
              new DailyUsageRow(bob, DailyUsage.settled(10, 0, 5, 100)),
              new DailyUsageRow(
                  alice,
                  DailyUsage.settled(100, 20, 50, 1_000).plus(DailyUsage.refused("user", "1d")))),
          rows);
      ledger.close();
    }
  }

  @Test
  void theDatabaseSumsIncludeWhatWasJustRecorded() throws Exception {
    Path dir = Files.createTempDirectory("tollgate-analytics-sums");
    PersistenceConfig file = PersistenceConfig.file(dir);
    PersistenceConfig cfg =
        new PersistenceConfig(
            file.type(),
            file.path(),
            null,
            null,
            null,
            Duration.ofSeconds(60), // nothing would reach the database by itself during the test
            file.retentionDays(),
            file.poolSize());
    Clock clock = Clock.systemUTC();
    LocalDate today = LedgerKey.utcDay(clock.millis());
    AtomicReference<PersistentMaps> maps = new AtomicReference<>();
    try (HazelcastTestCluster cluster =
        new HazelcastTestCluster(
            1,
            0,
            Duration.ofSeconds(5),
            i -> {
              maps.set(PersistentMaps.open(cfg, clock));
              return maps.get();
            })) {
      HazelcastUsageLedger ledger = new HazelcastUsageLedger(cluster.members.get(0), clock);
      TollgateConfig config = TestConfigs.withLimits("- { scope: user, window: 1d, tokens: 1000 }");
      Analytics analytics =
          new Analytics(
              config.tiers(),
              maps.get().ledgerSums(cluster.members.get(0), ledger::flush, Duration.ofSeconds(10)),
              clock);
      ledger.settled(new LedgerKey(today, "default", "alice", "web", "m"), 100, 20, 50, 1_000);
      ledger.refused(new LedgerKey(today, "default", "bob", "web", "m"), "user", "1d");
      // no flush here: the sums flush this replica's changes and the map's write-behind first
      UsageReport r = analytics.report("default", Period.DAY, today, today);
      assertEquals(1, r.activeUsers());
      assertEquals(150, r.totalTokens());
      assertEquals(1_000, r.totalNanoUsd());
      assertEquals(List.of(new UsageReport.LimitRefusals("user", "1d", 1, 1)), r.refusals());
      assertEquals(
          List.of(new UserTotal("alice", 1, 150, 1_000, 0), new UserTotal("bob", 0, 0, 0, 1)),
          analytics.topUsers("default", Period.DAY, today, today, TopBy.TOKENS, 10));
      ledger.close();
    }
  }
}
