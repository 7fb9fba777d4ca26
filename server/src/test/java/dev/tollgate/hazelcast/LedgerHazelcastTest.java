package dev.tollgate.hazelcast;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.EntryView;
import com.hazelcast.map.IMap;
import dev.tollgate.ledger.DailyUsage;
import dev.tollgate.ledger.DailyUsageRow;
import dev.tollgate.ledger.LedgerKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Hazelcast ledger on a two-member cluster: changes stay on the replica until a flush (periodic
 * or explicit) merges them, aggregates of every replica add up, they expire with the retention, and
 * a tier's period is one indexed query.
 */
class LedgerHazelcastTest {
  private static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final LocalDate TODAY = LocalDate.parse("2026-11-30");
  private static HazelcastTestCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = new HazelcastTestCluster(2, 1, Duration.ofSeconds(5));
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  private static IMap<String, DailyUsageRow> map() {
    return cluster.members.get(0).getMap(HazelcastSetup.LEDGER_MAP);
  }

  @Test
  void replicasAccumulateLocallyAndMergeIntoOneAggregate() {
    HazelcastUsageLedger a = new HazelcastUsageLedger(cluster.members.get(0), CLOCK);
    HazelcastUsageLedger b = new HazelcastUsageLedger(cluster.members.get(1), CLOCK);
    try {
      LedgerKey k = new LedgerKey(TODAY, "merge", "alice", "web", "m");
      a.settled(k, 10, 4, 5, 100);
      a.settled(k, 1, 0, 1, 1);
      b.refunded(k);
      b.refused(k, "user", "1d");
      assertEquals(1, a.pendingCount(), "two settlements of one key are one change");
      a.flush();
      b.flush();
      assertEquals(0, a.pendingCount());
      assertEquals(
          List.of(new DailyUsageRow(k, new DailyUsage(3, 1, 11, 4, 6, 101, Map.of("user:1d", 1L)))),
          b.read("merge", TODAY, TODAY));
    } finally {
      a.close();
      b.close();
    }
  }

  @Test
  void aFlushOfThousandsOfAggregatesMergesEveryOne() {
    HazelcastUsageLedger a = new HazelcastUsageLedger(cluster.members.get(1), CLOCK);
    try {
      int users = HazelcastUsageLedger.MERGES_IN_FLIGHT * 250;
      for (int i = 0; i < users; i++) {
        a.settled(new LedgerKey(TODAY, "many", "user-" + i, "web", "m"), 10, 0, i, 1);
      }
      long before = a.merges();
      a.flush();
      assertEquals(0, a.pendingCount());
      assertEquals(users, a.merges() - before);
      List<DailyUsageRow> rows = a.read("many", TODAY, TODAY);
      assertEquals(users, rows.size());
      assertEquals(
          (long) users * (users - 1) / 2,
          rows.stream().mapToLong(r -> r.usage().outputTokens()).sum());
    } finally {
      a.close();
    }
  }

  @Test
  void thePeriodicFlushMergesWithoutBeingAsked() {
    HazelcastUsageLedger a = new HazelcastUsageLedger(cluster.members.get(1), CLOCK);
    try {
      LedgerKey k = new LedgerKey(TODAY, "periodic", "bob", "web", "m");
      a.settled(k, 7, 0, 3, 9);
      await("the periodic flush")
          .atMost(Duration.ofSeconds(30))
          .until(() -> map().get(k.id()) != null);
      assertEquals(DailyUsage.settled(7, 0, 3, 9), map().get(k.id()).usage());
    } finally {
      a.close();
    }
  }

  @Test
  void closeFlushesWhatIsLeft() {
    HazelcastUsageLedger a = new HazelcastUsageLedger(cluster.members.get(0), CLOCK);
    LedgerKey k = new LedgerKey(TODAY, "closing", "carol", "web", "m");
    a.refused(k, "global", "1m");
    a.close();
    assertEquals(DailyUsage.refused("global", "1m"), map().get(k.id()).usage());
  }

  @Test
  void aggregatesLiveForTheRetentionAndOlderDaysAreNotWritten() {
    HazelcastUsageLedger a =
        new HazelcastUsageLedger(cluster.members.get(0), CLOCK, Duration.ofDays(30));
    try {
      LedgerKey fresh = new LedgerKey(TODAY.minusDays(2), "ttl", "u", "k", "m");
      LedgerKey stale = new LedgerKey(TODAY.minusDays(31), "ttl", "u", "k", "m");
      a.settled(fresh, 1, 0, 1, 1);
      a.settled(stale, 1, 0, 1, 1);
      a.flush();
      EntryView<String, DailyUsageRow> view = map().getEntryView(fresh.id());
      // expires at the end of the 30th day after its own
      long expected =
          TODAY.minusDays(2).plusDays(31).atStartOfDay().toInstant(ZoneOffset.UTC).toEpochMilli()
              - NOW.toEpochMilli();
      assertEquals(expected, view.getTtl());
      assertNull(map().get(stale.id()));
    } finally {
      a.close();
    }
  }

  @Test
  void aTierOverAPeriodIsOneIndexedQuery() {
    HazelcastUsageLedger a = new HazelcastUsageLedger(cluster.members.get(1), CLOCK);
    try {
      for (int d = 0; d < 10; d++) {
        for (String user : List.of("u1", "u2", "u3")) {
          a.settled(new LedgerKey(TODAY.minusDays(d), "period", user, "web", "m"), d, 0, 1, d);
          a.settled(new LedgerKey(TODAY.minusDays(d), "other", user, "web", "m"), d, 0, 1, d);
        }
      }
      a.flush();
      List<DailyUsageRow> rows = a.read("period", TODAY.minusDays(4), TODAY.minusDays(2));
      assertEquals(9, rows.size());
      assertTrue(rows.stream().allMatch(r -> r.key().tier().equals("period")));
      assertEquals(
          List.of(TODAY.minusDays(4), TODAY.minusDays(3), TODAY.minusDays(2)),
          rows.stream().map(r -> r.key().day()).distinct().toList());
      assertEquals(
          2,
          cluster
              .members
              .get(0)
              .getConfig()
              .getMapConfig(HazelcastSetup.LEDGER_MAP)
              .getIndexConfigs()
              .size());
    } finally {
      a.close();
    }
  }
}
