package dev.tollgate.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.tollgate.config.StoreConfig;
import dev.tollgate.quota.Charge;
import dev.tollgate.quota.Reservation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The expiry sweep finds expired held reservations through the index on their expiry, and still
 * finds them on a cluster whose map has no such index (one configured elsewhere).
 */
class HeldExpiryTest {
  private static final long T0 = 1_800_000_000_000L;

  @Test
  void theSweepAsksTheIndexForTheExpiredOnes() {
    Config c =
        HazelcastSetup.memberConfig(
            new StoreConfig.HazelcastConfig(
                StoreConfig.Mode.EMBEDDED,
                "held-" + UUID.randomUUID(),
                dev.tollgate.testsupport.FreePorts.freePort(),
                List.of(),
                false,
                null,
                0),
            Duration.ofSeconds(5));
    c.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    c.setProperty("hazelcast.partition.count", "71");
    // statistics only to observe the query: Tollgate keeps them off on this map
    c.getMapConfig(HazelcastSetup.PENDING_MAP).setStatisticsEnabled(true);
    HazelcastInstance hz = Hazelcast.newHazelcastInstance(c);
    try {
      HazelcastQuotaStore store = new HazelcastQuotaStore(hz, false);
      Set<String> expiring = holdSome(store);
      long before = hz.getMap(HazelcastSetup.PENDING_MAP).getLocalMapStats().getIndexedQueryCount();
      assertEquals(expiring, ids(store.takeExpired(T0 + 2_000)));
      assertTrue(
          hz.getMap(HazelcastSetup.PENDING_MAP).getLocalMapStats().getIndexedQueryCount() > before,
          "the sweep's query used the index");
      assertEquals(Set.of(), ids(store.takeExpired(T0 + 2_000)));
      assertEquals(500, store.heldCount());
    } finally {
      hz.shutdown();
    }
  }

  @Test
  void aMapWithoutTheIndexIsSweptAllTheSame() {
    Config c = new Config().setClusterName("held-plain-" + UUID.randomUUID());
    c.getNetworkConfig().setPort(dev.tollgate.testsupport.FreePorts.freePort());
    c.getNetworkConfig().getJoin().getAutoDetectionConfig().setEnabled(false);
    c.getNetworkConfig().getJoin().getMulticastConfig().setEnabled(false);
    c.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    c.setProperty("hazelcast.partition.count", "71");
    c.setProperty("hazelcast.phone.home.enabled", "false");
    HazelcastSerialization.register(c.getSerializationConfig());
    HazelcastInstance hz = Hazelcast.newHazelcastInstance(c);
    try {
      HazelcastQuotaStore store = new HazelcastQuotaStore(hz, false);
      Set<String> expiring = holdSome(store);
      assertEquals(expiring, ids(store.takeExpired(T0 + 2_000)));
      assertEquals(500, store.heldCount());
    } finally {
      hz.shutdown();
    }
  }

  /** Holds 500 reservations expiring in an hour and 3 in a second; the ids of the 3. */
  private static Set<String> holdSome(HazelcastQuotaStore store) {
    Set<String> expiring = new HashSet<>();
    for (int i = 0; i < 503; i++) {
      Reservation r =
          new Reservation(UUID.randomUUID().toString(), T0, new Charge(1, 0), List.of("user:a"));
      boolean soon = i % 168 == 0;
      store.hold(r, T0 + (soon ? 1_000 : 3_600_000), T0).toCompletableFuture().join();
      if (soon) {
        expiring.add(r.id());
      }
    }
    assertEquals(3, expiring.size());
    return expiring;
  }

  private static Set<String> ids(List<Reservation> taken) {
    Set<String> out = new HashSet<>();
    new ArrayList<>(taken).forEach(r -> out.add(r.id()));
    return out;
  }
}
