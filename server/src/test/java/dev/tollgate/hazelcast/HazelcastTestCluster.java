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
import java.util.function.IntFunction;

/** Several real Hazelcast members in one JVM, joined by TCP-IP on loopback. */
public final class HazelcastTestCluster implements AutoCloseable {
  public final List<HazelcastInstance> members = new ArrayList<>();
  public final List<HazelcastQuotaStore> stores = new ArrayList<>();
  public final String clusterName = "tollgate-test-" + UUID.randomUUID();
  public final List<String> addresses = new ArrayList<>();

  private final List<Integer> ports = new ArrayList<>();
  private final int backups;
  private final Duration deadline;
  private final IntFunction<PersistentMaps> persistence;

  /** Starts {@code n} members with {@code backups} backups. */
  public HazelcastTestCluster(int n, int backups, Duration deadline) throws Exception {
    this(n, backups, deadline, null);
  }

  /**
   * Starts {@code n} members with {@code backups} backups, member {@code i} writing its usage
   * behind to {@code persistence.apply(i)} (null: nothing persisted).
   */
  public HazelcastTestCluster(
      int n, int backups, Duration deadline, IntFunction<PersistentMaps> persistence)
      throws Exception {
    this.backups = backups;
    this.deadline = deadline;
    this.persistence = persistence;
    for (int i = 0; i < n; i++) {
      ports.add(FreePorts.freePort());
      addresses.add("127.0.0.1:" + ports.get(i));
    }
    startMembers();
  }

  /**
   * Stops every member as Tollgate does on SIGTERM (pending usage flushed to the database, a
   * graceful shutdown), then starts them again on the same ports and databases.
   */
  public void restartAll() throws Exception {
    for (HazelcastQuotaStore s : stores) {
      s.close();
    }
    members.clear();
    stores.clear();
    startMembers();
  }

  private void startMembers() throws Exception {
    int n = ports.size();
    List<PersistentMaps> dbs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      PersistentMaps p = persistence == null ? null : persistence.apply(i);
      dbs.add(p);
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
      if (p != null) {
        p.configure(c);
      }
      HazelcastInstance m = Hazelcast.newHazelcastInstance(c);
      members.add(m);
    }
    for (int i = 0; i < n; i++) {
      // with a database, the store owns its member: closing it flushes, shuts down, closes the pool
      PersistentMaps p = dbs.get(i);
      stores.add(new HazelcastQuotaStore(members.get(i), p != null, p));
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
