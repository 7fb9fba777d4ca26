package dev.tollgate.bench;

import com.hazelcast.map.IMap;
import dev.tollgate.hazelcast.HazelcastQuotaStore;
import dev.tollgate.hazelcast.HazelcastSetup;
import dev.tollgate.hazelcast.HazelcastTestCluster;
import dev.tollgate.quota.Charge;
import dev.tollgate.quota.Reservation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Heap per held reservation on one embedded Hazelcast member (the map {@code tollgate-pending}):
 * {@code n} reservations of a typical shape (a 36-character id, the user's, conversation's, service
 * key's and global keys, the ledger's dimensions as the tag) held for an hour as Tollgate holds
 * them, then the same reservations as the text earlier versions held; the heap after a full GC
 * minus the heap before, over {@code n}.
 *
 * <p>Run: {@code ./mvnw -q -pl server exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.tollgate.bench.HeldMemoryBench} (argument: how many, default 200,000).
 */
public final class HeldMemoryBench {
  private HeldMemoryBench() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    long now = System.currentTimeMillis();
    System.out.printf("heap per held reservation, %,d held, one member%n", n);
    try (HazelcastTestCluster cluster = new HazelcastTestCluster(1, 0, Duration.ofSeconds(5))) {
      HazelcastQuotaStore store = new HazelcastQuotaStore(cluster.members.get(0), false);
      IMap<String, Object> pending = cluster.members.get(0).getMap(HazelcastSetup.PENDING_MAP);
      for (String format : List.of("binary", "text (earlier versions)")) {
        long before = RecordMemoryBench.heapAfterGc();
        List<CompletableFuture<?>> batch = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          Reservation r = reservation(i, now);
          batch.add(
              (format.equals("binary")
                      ? store.hold(r, now + 3_600_000, now)
                      : pending.setAsync(
                          r.id(),
                          (now + 3_600_000) + "|" + r.encodeHeld(),
                          4_200_000,
                          TimeUnit.MILLISECONDS))
                  .toCompletableFuture());
          if (batch.size() == 256) {
            CompletableFuture.allOf(batch.toArray(CompletableFuture[]::new)).join();
            batch.clear();
          }
        }
        CompletableFuture.allOf(batch.toArray(CompletableFuture[]::new)).join();
        long after = RecordMemoryBench.heapAfterGc();
        System.out.printf(
            "%-24s %6.0f bytes per held reservation%n", format, (after - before) / (double) n);
        pending.clear();
      }
    }
  }

  private static Reservation reservation(int i, long now) {
    String user = String.format("%08d-0000-4000-8000-%012d", i % 50_000, i);
    return new Reservation(
        String.format("%08x-58b4-4d1f-9a0e-%012d", i, i),
        now,
        new Charge(1_200 + i % 300, 5_000_000L + i, 1),
        List.of("user:default:" + user, "conv:c-" + (i % 7_000), "key:web", "global"),
        "2026-12-01|default|" + user + "|web|gpt-4o-mini");
  }
}
