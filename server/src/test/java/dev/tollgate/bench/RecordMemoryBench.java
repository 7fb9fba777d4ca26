package dev.tollgate.bench;

import dev.tollgate.config.PersistenceConfig;
import dev.tollgate.hazelcast.HazelcastTestCluster;
import dev.tollgate.hazelcast.PersistentMaps;
import dev.tollgate.quota.Charge;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.QuotaStore;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.Window;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import javax.management.ObjectName;

/**
 * Heap per active user record on one embedded Hazelcast member (the served configuration: the usage
 * map in OBJECT format, records created by the reserve entry processor), without and with
 * persistence (while its changes wait to be written, and after): the heap after a full GC with
 * {@code n} users' records (the default tier's 5m and 1d token windows and month USD, one request
 * each), minus the heap before, over {@code n}. Keys are {@code user:default:} plus a 36-character
 * id. Then, per class whose live instances grew by 4 bytes or more per record, the bytes and
 * objects per record: the record itself, its counters, the map's entry, the key, expiry metadata.
 * Last, without persistence, a tenth as many busy users, each with a request in every bucket of the
 * 5m window: the most that window's ring holds.
 *
 * <p>Run: {@code ./mvnw -q -pl server exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.tollgate.bench.RecordMemoryBench} (argument: the number of users, default
 * 100,000).
 */
public final class RecordMemoryBench {
  private static final List<Limit> USER_LIMITS =
      List.of(
          new Limit(Window.parse("5m"), Unit.TOKENS, Long.MAX_VALUE / 8),
          new Limit(Window.parse("1d"), Unit.TOKENS, Long.MAX_VALUE / 8),
          new Limit(Window.month(), Unit.NANO_USD, Long.MAX_VALUE / 8));

  private RecordMemoryBench() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    System.out.printf("heap per active user record, %,d users, one member%n", n);
    try (HazelcastTestCluster none = new HazelcastTestCluster(1, 0, Duration.ofSeconds(5))) {
      measure("persistence none", none, n, 1, false);
    }
    // the most a record holds: a request in each bucket of the 5m window (every 15 s for 5 min)
    int busy = Math.max(1, n / 10);
    System.out.printf("busy users, %,d users, a request every 15 s for 5 minutes%n", busy);
    try (HazelcastTestCluster none = new HazelcastTestCluster(1, 0, Duration.ofSeconds(5))) {
      measure("persistence none", none, busy, 20, false);
    }
    var dir = Files.createTempDirectory("tollgate-memory-bench");
    PersistenceConfig cfg = PersistenceConfig.file(dir);
    try (HazelcastTestCluster file =
        new HazelcastTestCluster(
            1, 0, Duration.ofSeconds(5), i -> PersistentMaps.open(cfg, Clock.systemUTC()))) {
      measure("persistence file", file, n, 1, true);
    }
  }

  private static void measure(
      String label, HazelcastTestCluster cluster, int n, int requestsEach, boolean flush)
      throws Exception {
    QuotaStore store = cluster.stores.get(0);
    long now = System.currentTimeMillis();
    // warm the code paths and the map's structures before the baseline
    fill(store, "user:warm:", 2_000, 1, now);
    Map<String, long[]> classesBefore = histogram();
    long before = heapAfterGc();
    fill(store, "user:default:", n, requestsEach, now);
    long dirty = heapAfterGc();
    System.out.printf(
        "%-18s %6.0f bytes per record (changes not yet written)%n",
        label, (dirty - before) / (double) n);
    if (flush) {
      cluster.stores.get(0).persistence().flush(cluster.members.get(0), Duration.ofSeconds(60));
      long written = heapAfterGc();
      System.out.printf(
          "%-18s %6.0f bytes per record (written)%n", label, (written - before) / (double) n);
    }
    Map<String, long[]> classesAfter = histogram();
    // a histogram taken while classesAfter is live: the difference is what one histogram holds
    printGrowth(classesBefore, classesAfter, histogram(), n);
  }

  /**
   * Reserves for {@code n} users {@code requestsEach} requests each, 15 s apart, the last at {@code
   * now}.
   */
  private static void fill(QuotaStore store, String prefix, int n, int requestsEach, long now) {
    for (int r = 0; r < requestsEach; r++) {
      long at = now - (requestsEach - 1 - r) * 15_000L;
      List<CompletableFuture<?>> batch = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String id = String.format("%08d-0000-4000-8000-%012d", i, i);
        batch.add(
            store
                .reserve(prefix + id, USER_LIMITS, new Charge(100, 1_000), at, true)
                .toCompletableFuture());
        if (batch.size() == 256) {
          CompletableFuture.allOf(batch.toArray(CompletableFuture[]::new)).join();
          batch.clear();
        }
      }
      CompletableFuture.allOf(batch.toArray(CompletableFuture[]::new)).join();
    }
  }

  /**
   * Prints the classes whose live instances grew by at least 4 bytes per record: where a record's
   * bytes go (the record, the map's entry, the key, expiry metadata). {@code again} was taken while
   * {@code after} was live: their difference, the histogram's own objects, is not counted.
   */
  private static void printGrowth(
      Map<String, long[]> before, Map<String, long[]> after, Map<String, long[]> again, int n) {
    List<Map.Entry<String, long[]>> grown = new ArrayList<>();
    for (Map.Entry<String, long[]> e : after.entrySet()) {
      long[] b = before.getOrDefault(e.getKey(), new long[2]);
      long[] a = e.getValue();
      long[] self = again.getOrDefault(e.getKey(), a);
      long[] d = new long[2];
      for (int i = 0; i < 2; i++) {
        d[i] = a[i] - b[i] - (self[i] - a[i]);
      }
      if (d[1] >= 4L * n) {
        grown.add(Map.entry(e.getKey(), d));
      }
    }
    grown.sort((x, y) -> Long.compare(y.getValue()[1], x.getValue()[1]));
    for (Map.Entry<String, long[]> e : grown) {
      System.out.printf(
          "  %6.1f bytes %5.2f objects  %s%n",
          e.getValue()[1] / (double) n, e.getValue()[0] / (double) n, e.getKey());
    }
  }

  /** Live instances and bytes per class (after a full GC), from the JVM's class histogram. */
  private static Map<String, long[]> histogram() throws Exception {
    String text =
        (String)
            ManagementFactory.getPlatformMBeanServer()
                .invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"),
                    "gcClassHistogram",
                    new Object[] {new String[0]},
                    new String[] {String[].class.getName()});
    Map<String, long[]> out = new HashMap<>();
    for (String line : text.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 4 && f[0].endsWith(":")) {
        out.put(f[3], new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])});
      }
    }
    return out;
  }

  static long heapAfterGc() throws InterruptedException {
    var mem = ManagementFactory.getMemoryMXBean();
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    return mem.getHeapMemoryUsage().getUsed();
  }
}
