package dev.tollgate.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.partition.MigrationListener;
import com.hazelcast.partition.MigrationState;
import com.hazelcast.partition.ReplicaMigrationEvent;
import java.util.concurrent.atomic.LongAdder;

/**
 * The Hazelcast cluster as this replica sees it: its members, and the partition replica migrations
 * reported to it (a member joining or leaving moves partitions; until they settle, store calls on
 * the moving partitions wait). Migrations are counted only by an embedded member: a client is told
 * of none.
 */
public final class ClusterStats {
  private final HazelcastInstance hz;
  private final LongAdder completed = new LongAdder();
  private final LongAdder failed = new LongAdder();

  private ClusterStats(HazelcastInstance hz) {
    this.hz = hz;
  }

  /** Starts counting the migrations of {@code hz}'s cluster. */
  public static ClusterStats watch(HazelcastInstance hz) {
    ClusterStats stats = new ClusterStats(hz);
    try {
      hz.getPartitionService()
          .addMigrationListener(
              new MigrationListener() {
                @Override
                public void migrationStarted(MigrationState state) {}

                @Override
                public void migrationFinished(MigrationState state) {}

                @Override
                public void replicaMigrationCompleted(ReplicaMigrationEvent event) {
                  stats.completed.increment();
                }

                @Override
                public void replicaMigrationFailed(ReplicaMigrationEvent event) {
                  stats.failed.increment();
                }
              });
    } catch (UnsupportedOperationException e) {
      // a client: its partition service takes no migration listener
    }
    return stats;
  }

  /** Members of the cluster, as this replica sees it (0 once it is shut down). */
  public long members() {
    try {
      return hz.getLifecycleService().isRunning() ? hz.getCluster().getMembers().size() : 0;
    } catch (RuntimeException e) {
      return 0;
    }
  }

  /** Partition replica migrations completed. */
  public long migrationsCompleted() {
    return completed.sum();
  }

  /** Partition replica migrations failed. */
  public long migrationsFailed() {
    return failed.sum();
  }
}
