package dev.tollgate.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.config.PersistenceConfig;
import dev.tollgate.persistence.Database;
import dev.tollgate.persistence.UsageRecordTable;
import dev.tollgate.quota.Charge;
import dev.tollgate.quota.KeyReserveResult;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.Money;
import dev.tollgate.quota.QuotaStore;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.Window;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A member stopped as on SIGTERM and started again on the same file database has the same usage:
 * the month's tokens and dollars, and the same refusals. Usage records are loaded on first use.
 */
class UsageSurvivesRestartTest {
  private static final Limit MONTH_TOKENS = new Limit(Window.month(), Unit.TOKENS, 3_000);
  private static final Limit MONTH_USD =
      new Limit(Window.month(), Unit.NANO_USD, Money.toNanoUsd(new BigDecimal("1.00")));
  private static final List<Limit> LIMITS = List.of(MONTH_TOKENS, MONTH_USD);

  @Test
  void aMonthOfUsageSurvivesAGracefulRestart() throws Exception {
    Path dir = Files.createTempDirectory("tollgate-restart-db");
    PersistenceConfig cfg = PersistenceConfig.file(dir);
    long now = System.currentTimeMillis();
    String key = "user:default:alice";
    try (HazelcastTestCluster cluster =
        new HazelcastTestCluster(
            1, 0, Duration.ofSeconds(5), i -> PersistentMaps.open(cfg, Clock.systemUTC()))) {
      QuotaStore store = cluster.stores.get(0);
      assertInstanceOf(KeyReserveResult.Granted.class, reserve(store, key, 2_060, 600, now));

      cluster.restartAll();

      store = cluster.stores.get(0);
      assertEquals(2_060, used(store, key, MONTH_TOKENS, now));
      assertEquals(600, used(store, key, MONTH_USD, now));
      // the request that was allowed before persistence existed is refused now
      KeyReserveResult r = reserve(store, key, 1_000, 0, now + 1_000);
      assertInstanceOf(KeyReserveResult.Refused.class, r);
      assertInstanceOf(KeyReserveResult.Granted.class, reserve(store, key, 900, 0, now + 2_000));
    }
  }

  @Test
  void aResetIsPersistedToo() throws Exception {
    Path dir = Files.createTempDirectory("tollgate-restart-db");
    PersistenceConfig cfg = PersistenceConfig.file(dir);
    long now = System.currentTimeMillis();
    try (HazelcastTestCluster cluster =
        new HazelcastTestCluster(
            1, 0, Duration.ofSeconds(5), i -> PersistentMaps.open(cfg, Clock.systemUTC()))) {
      QuotaStore store = cluster.stores.get(0);
      reserve(store, "user:default:bob", 500, 0, now);
      reserve(store, "user:default:carol", 700, 0, now);
      cluster.restartAll();
      store = cluster.stores.get(0);
      store.reset("user:default:bob").toCompletableFuture().join();
      cluster.restartAll();
      store = cluster.stores.get(0);
      assertEquals(0, used(store, "user:default:bob", MONTH_TOKENS, now));
      assertEquals(700, used(store, "user:default:carol", MONTH_TOKENS, now));
    }
    try (Database db = Database.open(cfg)) {
      assertTrue(new UsageRecordTable(db).load("user:default:carol") != null);
      assertEquals(null, new UsageRecordTable(db).load("user:default:bob"));
    }
  }

  private static KeyReserveResult reserve(
      QuotaStore store, String key, long tokens, long nanoUsd, long now) {
    return store
        .reserve(key, LIMITS, new Charge(tokens, nanoUsd), now, true)
        .toCompletableFuture()
        .join();
  }

  private static long used(QuotaStore store, String key, Limit limit, long now) {
    return store.status(key, List.of(limit), now).toCompletableFuture().join().get(0).used();
  }
}
