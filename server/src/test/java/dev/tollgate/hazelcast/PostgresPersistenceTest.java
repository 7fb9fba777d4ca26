package dev.tollgate.hazelcast;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.config.PersistenceConfig;
import dev.tollgate.config.Secret;
import dev.tollgate.persistence.Database;
import dev.tollgate.persistence.TestPostgres;
import dev.tollgate.persistence.UsageRecordTable;
import dev.tollgate.quota.Charge;
import dev.tollgate.quota.KeyReserveResult;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.QuotaStore;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.UsageRecord;
import dev.tollgate.quota.Window;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Three Hazelcast members sharing a real PostgreSQL server (started by the test on loopback): usage
 * survives a restart of every member, and a PostgreSQL restart during load loses nothing while
 * admission keeps answering from memory.
 */
class PostgresPersistenceTest {
  private static final Limit MONTH = new Limit(Window.month(), Unit.TOKENS, 1_000_000_000L);
  private static TestPostgres postgres;

  @BeforeAll
  static void startPostgres() {
    postgres = TestPostgres.start();
  }

  @AfterAll
  static void stopPostgres() {
    postgres.close();
  }

  private static PersistenceConfig config() {
    return new PersistenceConfig(
        PersistenceConfig.Type.JDBC,
        null,
        postgres.jdbcUrl(),
        postgres.username(),
        new Secret(postgres.password(), "test"),
        Duration.ofSeconds(1),
        PersistenceConfig.DEFAULT_RETENTION_DAYS,
        2);
  }

  private static HazelcastTestCluster cluster() throws Exception {
    return new HazelcastTestCluster(
        3, 1, Duration.ofSeconds(5), i -> PersistentMaps.open(config(), Clock.systemUTC()));
  }

  @Test
  void usageSurvivesARestartOfEveryMember() throws Exception {
    String prefix = "user:pg-restart:" + System.nanoTime() + ":";
    long now = System.currentTimeMillis();
    Map<String, Long> spent = new HashMap<>();
    try (HazelcastTestCluster cluster = cluster()) {
      for (int i = 0; i < 60; i++) {
        String key = prefix + i;
        long tokens = 100 + i;
        QuotaStore via = cluster.stores.get(i % 3);
        assertInstanceOf(KeyReserveResult.Granted.class, reserve(via, key, tokens, now));
        spent.put(key, tokens);
      }
      cluster.restartAll();
      for (int i = 0; i < 60; i++) {
        String key = prefix + i;
        // read through another member than the one that wrote it
        assertEquals(spent.get(key), used(cluster.stores.get((i + 1) % 3), key, now), key);
      }
    }
  }

  @Test
  void aPostgresRestartDuringLoadLosesNothing() throws Exception {
    String prefix = "user:pg-load:" + System.nanoTime() + ":";
    int keys = 40;
    long now = System.currentTimeMillis();
    AtomicLongArray expected = new AtomicLongArray(keys);
    AtomicLong refusedOrFailed = new AtomicLong();
    try (HazelcastTestCluster cluster = cluster()) {
      AtomicBoolean run = new AtomicBoolean(true);
      List<Thread> load = new ArrayList<>();
      for (int t = 0; t < 3; t++) {
        QuotaStore via = cluster.stores.get(t);
        Thread th =
            new Thread(
                () -> {
                  ThreadLocalRandom r = ThreadLocalRandom.current();
                  while (run.get()) {
                    int k = r.nextInt(keys);
                    long tokens = 1 + r.nextInt(50);
                    try {
                      if (reserve(via, prefix + k, tokens, now)
                          instanceof KeyReserveResult.Granted) {
                        expected.addAndGet(k, tokens);
                      } else {
                        refusedOrFailed.incrementAndGet();
                      }
                    } catch (RuntimeException e) {
                      refusedOrFailed.incrementAndGet();
                    }
                  }
                });
        th.start();
        load.add(th);
      }
      // every key is in memory and written once before the database goes away
      await().atMost(Duration.ofSeconds(30)).until(() -> countRows(prefix) == keys);
      postgres.stop();
      long failuresBefore = failures(cluster);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> failures(cluster) > failuresBefore && backlog(cluster) > 0);
      // the backlog is at most one pending write per key (and its backup), however many changes
      long backlog = backlog(cluster);
      assertTrue(backlog <= 2L * keys, "backlog " + backlog + " for " + keys + " keys");
      postgres.startAgain();
      Thread.sleep(1_500); // a little more load after the database is back
      run.set(false);
      for (Thread th : load) {
        th.join(10_000);
      }
      assertEquals(0, refusedOrFailed.get(), "admission kept answering from memory");
      cluster.restartAll();
      for (int k = 0; k < keys; k++) {
        assertEquals(expected.get(k), used(cluster.stores.get(k % 3), prefix + k, now), "key " + k);
      }
    }
    try (Database db = Database.open(config())) {
      UsageRecordTable table = new UsageRecordTable(db);
      for (int k = 0; k < keys; k++) {
        UsageRecord r = table.load(prefix + k);
        assertEquals(
            expected.get(k), r.status(List.of(MONTH), now).get(0).used(), "stored key " + k);
      }
    }
  }

  @Test
  void aLoadWaitingForTheDatabaseBlocksNoPartitionThread() throws Exception {
    long now = System.currentTimeMillis();
    String inMemory = "user:pg-offload:" + System.nanoTime();
    try (HazelcastTestCluster cluster =
        new HazelcastTestCluster(
            1, 0, Duration.ofSeconds(5), i -> PersistentMaps.open(config(), Clock.systemUTC()))) {
      QuotaStore store = cluster.stores.get(0);
      reserve(store, inMemory, 10, now);
      var partitions = cluster.members.get(0).getPartitionService();
      int partition = partitions.getPartition(inMemory).getPartitionId();
      // a key of another partition that the same partition thread serves (partition id modulo
      // the thread count; 12 apart is the same thread for 1, 2, 3, 4, 6 or 12 threads)
      String neverSeen = null;
      for (int i = 0; neverSeen == null; i++) {
        String k = "user:pg-offload-new:" + i + ":" + System.nanoTime();
        int p = partitions.getPartition(k).getPartitionId();
        if (p != partition && Math.abs(p - partition) % 12 == 0) {
          neverSeen = k;
        }
      }
      // a slow database: another session holds the table, so every read of it waits
      try (var lock = postgres.connect()) {
        lock.setAutoCommit(false);
        try (var st = lock.createStatement()) {
          st.execute("LOCK TABLE tollgate_usage_record IN ACCESS EXCLUSIVE MODE");
        }
        // its record must be loaded, and the database does not answer
        var waiting =
            store
                .reserve(neverSeen, List.of(MONTH), new Charge(1, 0), now, true)
                .toCompletableFuture();
        for (int i = 0; i < 50; i++) {
          long t0 = System.nanoTime();
          assertInstanceOf(KeyReserveResult.Granted.class, reserve(store, inMemory, 1, now));
          System.err.println(
              "DEBUG "
                  + i
                  + " "
                  + (System.nanoTime() - t0) / 1000
                  + " us done="
                  + waiting.isDone());
        }
        assertTrue(
            !waiting.isDone(),
            "the key in memory was served while a key its partition thread also serves waited to load");
        assertEquals(60, used(store, inMemory, now));
        lock.rollback();
        // once the database answers, the waiting reservation completes
        assertInstanceOf(KeyReserveResult.Granted.class, waiting.get(20, TimeUnit.SECONDS));
      }
    }
  }

  private static long backlog(HazelcastTestCluster cluster) {
    long n = 0;
    for (HazelcastQuotaStore s : cluster.stores) {
      n += s.persistence().backlog(s.instance());
    }
    return n;
  }

  private static long failures(HazelcastTestCluster cluster) {
    long n = 0;
    for (HazelcastQuotaStore s : cluster.stores) {
      n += s.persistence().failures();
    }
    return n;
  }

  private static long countRows(String prefix) throws Exception {
    try (var c = postgres.connect();
        var ps =
            c.prepareStatement(
                "SELECT COUNT(*) FROM tollgate_usage_record WHERE quota_key LIKE ?")) {
      ps.setString(1, prefix + "%");
      try (var rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (java.sql.SQLException e) {
      return -1; // the schema is not there yet
    }
  }

  private static KeyReserveResult reserve(QuotaStore store, String key, long tokens, long now) {
    return store
        .reserve(key, List.of(MONTH), new Charge(tokens, 0), now, true)
        .toCompletableFuture()
        .join();
  }

  private static long used(QuotaStore store, String key, long now) {
    return store.status(key, List.of(MONTH), now).toCompletableFuture().join().get(0).used();
  }
}
