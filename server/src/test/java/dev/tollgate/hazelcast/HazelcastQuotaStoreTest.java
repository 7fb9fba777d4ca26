package dev.tollgate.hazelcast;

import dev.tollgate.quota.QuotaStore;
import dev.tollgate.quota.QuotaStoreContract;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The contract on Hazelcast: three real members in this JVM; each test talks to a different member,
 * so keys are owned locally or remotely.
 */
class HazelcastQuotaStoreTest extends QuotaStoreContract {
  private static HazelcastTestCluster cluster;
  private static final AtomicInteger NEXT = new AtomicInteger();

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = new HazelcastTestCluster(3, 1, Duration.ofSeconds(2));
  }

  @AfterAll
  static void stopCluster() {
    cluster.close();
  }

  @Override
  protected QuotaStore newStore() {
    // a store view on one member that does not shut the member down
    return new HazelcastQuotaStore(cluster.members.get(NEXT.getAndIncrement() % 3), false);
  }

  @Override
  protected List<QuotaStore> replicas() {
    return cluster.members.stream()
        .map(m -> (QuotaStore) new HazelcastQuotaStore(m, false))
        .toList();
  }
}
