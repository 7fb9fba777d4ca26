package dev.tollgate.hazelcast;

import dev.tollgate.quota.LeasingQuotaStore;
import dev.tollgate.quota.QuotaStore;
import dev.tollgate.quota.QuotaStoreContract;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The contract through leases: each test's store is a {@link LeasingQuotaStore} in front of a
 * different member of three real ones in this JVM.
 */
class LeasingHazelcastQuotaStoreTest extends QuotaStoreContract {
  private static HazelcastTestCluster cluster;
  private static final AtomicInteger NEXT = new AtomicInteger();

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = new HazelcastTestCluster(3, 1, Duration.ofSeconds(5));
  }

  @AfterAll
  static void stopCluster() {
    cluster.close();
  }

  @Override
  protected QuotaStore newStore() {
    return new LeasingQuotaStore(
        new HazelcastQuotaStore(cluster.members.get(NEXT.getAndIncrement() % 3), false),
        Clock.systemUTC(),
        () -> 3);
  }

  @Override
  protected List<QuotaStore> replicas() {
    return cluster.members.stream()
        .map(m -> (QuotaStore) new HazelcastQuotaStore(m, false))
        .toList();
  }
}
