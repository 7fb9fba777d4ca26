package dev.tollgate.hazelcast;

import dev.tollgate.config.PersistenceConfig;
import dev.tollgate.quota.QuotaStore;
import dev.tollgate.quota.QuotaStoreContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The contract with persistence on: one member whose usage map is written behind to the embedded
 * file database, so every operation also goes through the map store's load and write paths.
 */
class PersistentQuotaStoreTest extends QuotaStoreContract {
  private static HazelcastTestCluster cluster;

  @BeforeAll
  static void startCluster() throws Exception {
    Path dir = Files.createTempDirectory("tollgate-contract-db");
    cluster =
        new HazelcastTestCluster(
            1,
            0,
            Duration.ofSeconds(2),
            i -> PersistentMaps.open(PersistenceConfig.file(dir), Clock.systemUTC()));
  }

  @AfterAll
  static void stopCluster() {
    cluster.close();
  }

  @Override
  protected QuotaStore newStore() {
    return new HazelcastQuotaStore(cluster.members.get(0), false);
  }
}
