package dev.tollgate.hazelcast;

import static org.awaitility.Awaitility.await;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.tollgate.config.StoreConfig;
import dev.tollgate.testsupport.FreePorts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Several real Hazelcast members in one JVM, joined by TCP-IP on loopback. */
public final class HazelcastTestCluster implements AutoCloseable {
  public final List<HazelcastInstance> members = new ArrayList<>();
  public final List<HazelcastQuotaStore> stores = new ArrayList<>();
  public final String clusterName = "tollgate-test-" + UUID.randomUUID();
  public final List<String> addresses = new ArrayList<>();

  /** Starts {@code n} members with {@code backups} backups. */
  public HazelcastTestCluster(int n, int backups, Duration deadline) throws Exception {
    List<Integer> ports = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ports.add(FreePorts.freePort());
      addresses.add("127.0.0.1:" + ports.get(i));
    }
    for (int i = 0; i < n; i++) {
      StoreConfig.HazelcastConfig hz =
          new StoreConfig.HazelcastConfig(
              StoreConfig.Mode.EMBEDDED,
              clusterName,
              ports.get(i),
              addresses,
              false,
              null,
              backups);
      Config c = HazelcastSetup.memberConfig(hz, deadline);
      c.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
      c.setProperty("hazelcast.partition.count", "71");
      HazelcastInstance m = Hazelcast.newHazelcastInstance(c);
      members.add(m);
    }
    for (HazelcastInstance m : members) {
      stores.add(new HazelcastQuotaStore(m, false));
    }
    awaitSafe();
  }

  /** Waits until every member sees the whole cluster and no partition is migrating. */
  public void awaitSafe() throws InterruptedException {
    for (HazelcastInstance m : members) {
      m.getMap(HazelcastSetup.USAGE_MAP).size(); // assigns partitions
    }
    await("every member sees the whole cluster and no partition is migrating")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(50))
        .until(this::safe);
  }

  private boolean safe() {
    boolean ok = true;
    for (HazelcastInstance m : members) {
      if (!m.getLifecycleService().isRunning()) {
        continue;
      }
      ok &=
          m.getCluster().getMembers().size() == liveCount()
              && m.getPartitionService().isClusterSafe();
    }
    return ok;
  }

  private int liveCount() {
    int n = 0;
    for (HazelcastInstance m : members) {
      if (m.getLifecycleService().isRunning()) {
        n++;
      }
    }
    return n;
  }

  @Override
  public void close() {
    for (HazelcastQuotaStore s : stores) {
      s.close();
    }
    for (HazelcastInstance m : members) {
      try {
        m.getLifecycleService().terminate();
      } catch (RuntimeException ignored) {
        // already gone
      }
    }
  }
}
