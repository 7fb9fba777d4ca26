package dev.tollgate.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.core.HazelcastInstance;
import dev.tollgate.config.StoreConfig;
import dev.tollgate.quota.Charge;
import dev.tollgate.quota.KeyReserveResult;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.QuotaService;
import dev.tollgate.quota.QuotaTarget;
import dev.tollgate.quota.ReserveResult;
import dev.tollgate.quota.Scope;
import dev.tollgate.quota.StoreUnavailableException;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.Window;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A real 3-member Hazelcast cluster in one JVM: exactness under concurrency, failover, outage. */
class HazelcastClusterIT {
  private static final Duration DEADLINE = Duration.ofMillis(150);
  private static final Limit FIVE_MIN = new Limit(Window.parse("5m"), Unit.TOKENS, 200_000);

  @Test
  void sixtyFourThreadsAcrossThreeMembersNeverOverAdmitAndEveryRefusalWasNecessary()
      throws Exception {
    try (HazelcastTestCluster c = new HazelcastTestCluster(3, 1, DEADLINE)) {
      long now = System.currentTimeMillis();
      ExecutorService pool = Executors.newFixedThreadPool(64);
      AtomicLong admitted = new AtomicLong();
      ConcurrentLinkedQueue<String> unnecessary = new ConcurrentLinkedQueue<>();
      CountDownLatch done = new CountDownLatch(64);
      for (int t = 0; t < 64; t++) {
        int thread = t;
        pool.execute(
            () -> {
              Random rnd = new Random(thread);
              HazelcastQuotaStore store = c.stores.get(thread % 3);
              try {
                for (int i = 0; i < 60; i++) {
                  long amount = 1 + rnd.nextInt(4000);
                  KeyReserveResult o =
                      store
                          .reserve(
                              "user:shared", List.of(FIVE_MIN), new Charge(amount, 0), now, true)
                          .toCompletableFuture()
                          .get(10, TimeUnit.SECONDS);
                  if (o instanceof KeyReserveResult.Granted) {
                    admitted.addAndGet(amount);
                  } else {
                    KeyReserveResult.Refused r = (KeyReserveResult.Refused) o;
                    if (r.binding().remaining() >= amount) {
                      unnecessary.add(
                          "refused " + amount + " with " + r.binding().remaining() + " remaining");
                    }
                  }
                }
              } catch (Exception e) {
                unnecessary.add("error " + e);
              } finally {
                done.countDown();
              }
            });
      }
      assertTrue(done.await(120, TimeUnit.SECONDS));
      pool.shutdown();
      assertTrue(unnecessary.isEmpty(), unnecessary.toString());
      long used =
          c.stores
              .get(1)
              .status("user:shared", List.of(FIVE_MIN), now)
              .toCompletableFuture()
              .join()
              .get(0)
              .used();
      assertEquals(admitted.get(), used, "the store holds exactly what was admitted");
      assertTrue(used <= FIVE_MIN.max(), "never over the limit: " + used);
      assertTrue(used > FIVE_MIN.max() - 4000, "filled up to the last request that fit: " + used);
    }
  }

  @Test
  void killingAMemberUnderLoadLosesNoReservationAndNoCallOutlivesItsDeadline() throws Exception {
    try (HazelcastTestCluster c = new HazelcastTestCluster(3, 1, DEADLINE)) {
      Limit big = new Limit(Window.parse("1h"), Unit.TOKENS, Long.MAX_VALUE / 4);
      List<QuotaService> quotas = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        quotas.add(new QuotaService(c.stores.get(i), Clock.systemUTC(), DEADLINE));
      }
      int users = 50;
      AtomicLong[] admitted = new AtomicLong[users];
      for (int i = 0; i < users; i++) {
        admitted[i] = new AtomicLong();
      }
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong slowest = new AtomicLong();
      AtomicLong failures = new AtomicLong();
      AtomicLong calls = new AtomicLong();
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int thread = t;
        Thread th =
            new Thread(
                () -> {
                  Random rnd = new Random(thread);
                  // members 0 and 1 survive; drive load through them
                  QuotaService q = quotas.get(thread % 2);
                  while (!stop.get()) {
                    int u = rnd.nextInt(users);
                    long amount = 1 + rnd.nextInt(100);
                    long t0 = System.nanoTime();
                    try {
                      ReserveResult d =
                          q.reserve(
                                  List.of(
                                      new QuotaTarget(
                                          Scope.USER, "user:u" + u, List.of(big), true)),
                                  new Charge(amount, 0))
                              .toCompletableFuture()
                              .join();
                      if (d instanceof ReserveResult.Reserved) {
                        admitted[u].addAndGet(amount);
                      }
                    } catch (CompletionException e) {
                      assertInstanceOf(StoreUnavailableException.class, e.getCause());
                      failures.incrementAndGet();
                    }
                    calls.incrementAndGet();
                    slowest.accumulateAndGet(System.nanoTime() - t0, Math::max);
                  }
                });
        th.start();
        threads.add(th);
      }
      Thread.sleep(1500);
      c.members.get(2).getLifecycleService().terminate(); // hard kill
      Thread.sleep(3000);
      stop.set(true);
      for (Thread th : threads) {
        th.join(10_000);
      }
      long slowestMs = TimeUnit.NANOSECONDS.toMillis(slowest.get());
      long lost = 0;
      long now = System.currentTimeMillis();
      for (int u = 0; u < users; u++) {
        long used =
            c.stores
                .get(0)
                .status("user:u" + u, List.of(big), now)
                .toCompletableFuture()
                .join()
                .get(0)
                .used();
        if (used < admitted[u].get()) {
          lost += admitted[u].get() - used;
        }
      }
      System.out.printf(
          "failover: %d calls, %d store-unavailable, slowest %d ms%n",
          calls.get(), failures.get(), slowestMs);
      assertEquals(0, lost, "tokens admitted but missing after failover");
      assertTrue(calls.get() > 1000, "load was running: " + calls.get());
      // deadline + scheduling slack on a loaded 2-core machine
      assertTrue(slowestMs < DEADLINE.toMillis() + 250, "slowest call " + slowestMs + " ms");
    }
  }

  @Test
  void clientModeWithTheClusterGoneFailsWithinTheDeadline() throws Exception {
    HazelcastTestCluster c = new HazelcastTestCluster(1, 0, DEADLINE);
    HazelcastInstance client = null;
    try {
      StoreConfig.HazelcastConfig hz =
          new StoreConfig.HazelcastConfig(
              StoreConfig.Mode.CLIENT, c.clusterName, 0, c.addresses, false, null, 0);
      client = HazelcastClient.newHazelcastClient(HazelcastSetup.clientConfig(hz, DEADLINE));
      HazelcastQuotaStore store = new HazelcastQuotaStore(client, false);
      QuotaService q = new QuotaService(store, Clock.systemUTC(), DEADLINE);
      QuotaTarget t = new QuotaTarget(Scope.USER, "user:x", List.of(FIVE_MIN), true);
      assertInstanceOf(
          ReserveResult.Reserved.class,
          q.reserve(List.of(t), new Charge(10, 0)).toCompletableFuture().join());
      c.close();
      for (int i = 0; i < 5; i++) {
        long t0 = System.nanoTime();
        CompletionException e =
            org.junit.jupiter.api.Assertions.assertThrows(
                CompletionException.class,
                () -> q.reserve(List.of(t), new Charge(10, 0)).toCompletableFuture().join());
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertInstanceOf(StoreUnavailableException.class, e.getCause());
        assertTrue(ms < DEADLINE.toMillis() + 250, "failed in " + ms + " ms");
      }
      store.close();
    } finally {
      if (client != null) {
        client.getLifecycleService().terminate();
      }
      c.close();
    }
  }
}
