package dev.tollgate.bench;

import dev.tollgate.hazelcast.HazelcastTestCluster;
import dev.tollgate.quota.Charge;
import dev.tollgate.quota.InMemoryQuotaStore;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.QuotaService;
import dev.tollgate.quota.QuotaStore;
import dev.tollgate.quota.QuotaTarget;
import dev.tollgate.quota.Reservation;
import dev.tollgate.quota.ReserveResult;
import dev.tollgate.quota.Scope;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.UsageRecord;
import dev.tollgate.quota.Window;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reserve + settle through {@link QuotaService}: ops/s and p50/p99 latency for the in-memory store,
 * one embedded Hazelcast member and three members (one JVM), per-user keys and the one global key,
 * with {@code inflight} operations outstanding. Also prints the serialized size of a user record.
 *
 * <p>Run: {@code ./mvnw -q -pl server test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.tollgate.bench.StoreBench}
 */
public final class StoreBench {
  private static final List<Limit> USER_LIMITS =
      List.of(
          new Limit(Window.parse("5m"), Unit.TOKENS, Long.MAX_VALUE / 8),
          new Limit(Window.parse("1d"), Unit.TOKENS, Long.MAX_VALUE / 8),
          new Limit(Window.month(), Unit.NANO_USD, Long.MAX_VALUE / 8));
  private static final List<Limit> GLOBAL_LIMITS =
      List.of(new Limit(Window.parse("1m"), Unit.TOKENS, Long.MAX_VALUE / 8));

  private StoreBench() {}

  public static void main(String[] args) throws Exception {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 4;
    int inflight = args.length > 1 ? Integer.parseInt(args[1]) : 64;
    System.out.printf("reserve+settle, %d in flight, %.0f s per case%n", inflight, seconds);
    System.out.printf("%-22s %-8s %10s %9s %9s%n", "store", "key", "ops/s", "p50 µs", "p99 µs");
    try (InMemoryQuotaStore mem = new InMemoryQuotaStore()) {
      run("in-memory", mem, seconds, inflight);
    }
    try (HazelcastTestCluster one = new HazelcastTestCluster(1, 1, Duration.ofMillis(150))) {
      run("hazelcast 1 member", one.stores.get(0), seconds, inflight);
    }
    try (HazelcastTestCluster three = new HazelcastTestCluster(3, 1, Duration.ofMillis(150))) {
      run("hazelcast 3 members", three.stores.get(0), seconds, inflight);
    }
    UsageRecord r = UsageRecord.empty();
    r.reserve(USER_LIMITS, new Charge(100, 1000), System.currentTimeMillis(), true);
    try (HazelcastTestCluster one = new HazelcastTestCluster(1, 0, Duration.ofMillis(150))) {
      var ss =
          ((com.hazelcast.spi.impl.SerializationServiceSupport) one.members.get(0))
              .getSerializationService();
      int bytes = ss.toData(r).totalSize();
      System.out.printf(
          "user record with windows 5m, 1d (tokens) and month (usd): %d bytes serialized%n", bytes);
    }
  }

  static void run(String name, QuotaStore store, double seconds, int inflight) throws Exception {
    for (boolean global : new boolean[] {false, true}) {
      QuotaService q = new QuotaService(store, Clock.systemUTC(), Duration.ofSeconds(2));
      measure(q, global, 1.0, inflight); // warm-up
      long[] lat = measure(q, global, seconds, inflight);
      int n = lat.length;
      System.out.printf(
          "%-22s %-8s %10.0f %9.0f %9.0f%n",
          name,
          global ? "global" : "per-user",
          n / seconds,
          lat[n / 2] / 1e3,
          lat[(int) (n * 0.99)] / 1e3);
    }
  }

  static long[] measure(QuotaService q, boolean global, double seconds, int inflight)
      throws Exception {
    Semaphore slots = new Semaphore(inflight);
    long end = System.nanoTime() + (long) (seconds * 1e9);
    long[] lat = new long[8_000_000];
    AtomicInteger n = new AtomicInteger();
    int i = 0;
    while (System.nanoTime() < end) {
      slots.acquire();
      int user = i++ % 10_000;
      QuotaTarget t =
          global
              ? new QuotaTarget(Scope.GLOBAL, "global", GLOBAL_LIMITS, true)
              : new QuotaTarget(Scope.USER, "user:bench-" + user, USER_LIMITS, true);
      long t0 = System.nanoTime();
      q.reserve(List.of(t), new Charge(300, 4000))
          .thenCompose(
              d -> {
                Reservation r = ((ReserveResult.Reserved) d).reservation();
                return q.settle(r.id(), new Charge(120, 1500));
              })
          .whenComplete(
              (v, e) -> {
                int k = n.getAndIncrement();
                if (k < lat.length) {
                  lat[k] = System.nanoTime() - t0;
                }
                slots.release();
              });
    }
    slots.acquire(inflight);
    long[] out = Arrays.copyOf(lat, Math.min(n.get(), lat.length));
    Arrays.sort(out);
    CompletableFuture.completedFuture(null).join();
    return out;
  }
}
