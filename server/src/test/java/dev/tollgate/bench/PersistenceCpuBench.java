package dev.tollgate.bench;

import dev.tollgate.config.PersistenceConfig;
import dev.tollgate.hazelcast.HazelcastTestCluster;
import dev.tollgate.hazelcast.HazelcastUsageLedger;
import dev.tollgate.hazelcast.PersistentMaps;
import dev.tollgate.ledger.LedgerKey;
import dev.tollgate.quota.Charge;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.QuotaService;
import dev.tollgate.quota.QuotaTarget;
import dev.tollgate.quota.Reservation;
import dev.tollgate.quota.ReserveResult;
import dev.tollgate.quota.Scope;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.Window;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Semaphore;

/**
 * The CPU a Check's store work costs with persistence off and on: reserve + settle through {@link
 * QuotaService} on a one-member Hazelcast cluster (per-user keys, 10,000 users, 64 in flight) plus
 * the ledger's settlement ({@link HazelcastUsageLedger}), as a Check and its response do; the
 * process's CPU time (every thread: Hazelcast's, the write-behind's, H2's) divided by the
 * operations. CPU rather than wall time: the figure holds on a machine shared with other work.
 *
 * <p>Run: {@code ./mvnw -q -pl server test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.tollgate.bench.PersistenceCpuBench -Dexec.args="[ops [rounds [none|file
 * [write delay s]]]]"} (default 100,000 operations per measurement, 2 rounds of none then file, the
 * default {@code write_delay}).
 */
public final class PersistenceCpuBench {
  private static final List<Limit> USER_LIMITS =
      List.of(
          new Limit(Window.parse("5m"), Unit.TOKENS, Long.MAX_VALUE / 8),
          new Limit(Window.parse("1d"), Unit.TOKENS, Long.MAX_VALUE / 8),
          new Limit(Window.month(), Unit.NANO_USD, Long.MAX_VALUE / 8));

  private PersistenceCpuBench() {}

  public static void main(String[] args) throws Exception {
    int ops = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    String only = args.length > 2 ? args[2] : null; // none or file: that case alone
    Duration writeDelay =
        args.length > 3
            ? Duration.ofSeconds(Long.parseLong(args[3]))
            : PersistenceConfig.DEFAULT_WRITE_DELAY;
    System.out.printf(
        "reserve + settle + ledger, one member, %,d ops per measurement, %d in flight%n", ops, 64);
    for (int r = 0; r < rounds; r++) {
      for (boolean persist : new boolean[] {false, true}) {
        if (only != null && !only.equals(persist ? "file" : "none")) {
          continue;
        }
        run(persist, ops, writeDelay);
      }
    }
  }

  private static void run(boolean persist, int ops, Duration writeDelay) throws Exception {
    Clock clock = Clock.systemUTC();
    PersistenceConfig file =
        PersistenceConfig.file(Files.createTempDirectory("tollgate-cpu-bench"));
    PersistenceConfig cfg =
        new PersistenceConfig(
            file.type(),
            file.path(),
            null,
            null,
            null,
            writeDelay,
            file.retentionDays(),
            file.poolSize());
    try (HazelcastTestCluster one =
        new HazelcastTestCluster(
            1, 0, Duration.ofSeconds(2), persist ? i -> PersistentMaps.open(cfg, clock) : null)) {
      HazelcastUsageLedger ledger = new HazelcastUsageLedger(one.members.get(0), clock);
      QuotaService q = new QuotaService(one.stores.get(0), clock, Duration.ofSeconds(2));
      measure(q, ledger, ops / 4); // warm-up
      var os =
          (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      long cpu0 = os.getProcessCpuTime();
      long t0 = System.nanoTime();
      measure(q, ledger, ops);
      // the write-behind's work for these operations happens after them: wait for it
      long wait = System.nanoTime();
      if (persist) {
        one.stores.get(0).persistence().flush(one.members.get(0), Duration.ofSeconds(60));
      }
      long cpu = os.getProcessCpuTime() - cpu0;
      long wall = System.nanoTime() - t0;
      System.out.printf(
          "persistence %-5s %6.1f µs CPU per op (%,d ms CPU, %,d ms wall, %,d ms of it"
              + " flushing)%n",
          persist ? "file" : "none",
          cpu / 1e3 / ops,
          cpu / 1_000_000,
          wall / 1_000_000,
          (System.nanoTime() - wait) / 1_000_000);
      ledger.close();
    }
  }

  private static void measure(QuotaService q, HazelcastUsageLedger ledger, int ops)
      throws Exception {
    Semaphore slots = new Semaphore(64);
    for (int i = 0; i < ops; i++) {
      slots.acquire();
      String user = "bench-" + (i % 10_000);
      QuotaTarget t = new QuotaTarget(Scope.USER, "user:" + user, USER_LIMITS, true);
      LedgerKey key = LedgerKey.of(System.currentTimeMillis(), "default", user, "web", "m");
      q.reserve(List.of(t), new Charge(300, 4000))
          .thenCompose(
              d -> {
                Reservation r = ((ReserveResult.Reserved) d).reservation();
                return q.settle(r.id(), new Charge(120, 1500));
              })
          .whenComplete(
              (v, e) -> {
                ledger.settled(key, 100, 0, 20, 1500);
                slots.release();
              });
    }
    slots.acquire(64);
  }
}
