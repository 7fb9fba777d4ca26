package dev.tollgate.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.quota.Charge;
import dev.tollgate.quota.KeyReserveResult;
import dev.tollgate.quota.LeasingQuotaStore;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.QuotaStore;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.Window;
import dev.tollgate.quota.WindowStatus;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Three real members, each admitting through its own leases, many threads at once against one key
 * with small limits: the cluster never admits more than a limit, and once every slice is given back
 * the record holds exactly what was admitted and settled.
 */
class LeasesAcrossMembersTest {
  private static final Limit TOKENS = new Limit(Window.parse("1h"), Unit.TOKENS, 60_000);
  private static final Limit REQUESTS = new Limit(Window.parse("1h"), Unit.REQUESTS, 1_500);
  private static final List<Limit> LIMITS = List.of(TOKENS, REQUESTS);
  private static final int THREADS_PER_MEMBER = 3;
  private static final int ATTEMPTS_PER_THREAD = 900;

  private HazelcastTestCluster cluster;
  private final List<LeasingQuotaStore> leases = new ArrayList<>();

  /** One admitted reservation. */
  private record Admitted(int member, Charge charge, long at) {}

  @BeforeEach
  void start() throws Exception {
    cluster = new HazelcastTestCluster(3, 1, Duration.ofSeconds(5));
    for (HazelcastQuotaStore s : cluster.stores) {
      leases.add(
          new LeasingQuotaStore(new HazelcastQuotaStore(s.instance(), false), clock(), () -> 3));
    }
  }

  @AfterEach
  void stop() {
    leases.forEach(LeasingQuotaStore::close);
    cluster.close();
  }

  private static Clock clock() {
    return Clock.systemUTC();
  }

  @Test
  void neverOverAdmitsAndTheRecordEndsExact() throws Exception {
    String key = "global-" + UUID.randomUUID();
    ConcurrentLinkedQueue<Admitted> admitted = new ConcurrentLinkedQueue<>();
    ExecutorService pool = Executors.newFixedThreadPool(3 * THREADS_PER_MEMBER);
    List<Future<?>> work = new ArrayList<>();
    for (int t = 0; t < 3 * THREADS_PER_MEMBER; t++) {
      int member = t % 3;
      long seed = t;
      work.add(
          pool.submit(
              () -> {
                Random random = new Random(seed);
                QuotaStore store = leases.get(member);
                for (int i = 0; i < ATTEMPTS_PER_THREAD; i++) {
                  Charge c = new Charge(1 + random.nextInt(120), 0, 1);
                  long now = clock().millis();
                  KeyReserveResult r =
                      store
                          .reserve(key, LIMITS, c, now, true)
                          .toCompletableFuture()
                          .get(30, TimeUnit.SECONDS);
                  if (r instanceof KeyReserveResult.Granted) {
                    admitted.add(new Admitted(member, c, now));
                  }
                }
                return null;
              }));
    }
    for (Future<?> f : work) {
      f.get(120, TimeUnit.SECONDS);
    }
    pool.shutdown();
    long tokens = admitted.stream().mapToLong(a -> a.charge().tokens()).sum();
    long requests = admitted.stream().mapToLong(a -> a.charge().requests()).sum();
    assertTrue(tokens <= TOKENS.max(), "admitted " + tokens + " tokens of " + TOKENS.max());
    assertTrue(requests <= REQUESTS.max(), "admitted " + requests + " of " + REQUESTS.max());
    long local = leases.stream().mapToLong(LeasingQuotaStore::localAdmissions).sum();
    assertTrue(local > 0, "some requests were admitted from slices");

    // settle every admission on a member of its own (not always the one that admitted it)
    Random random = new Random(42);
    long settledTokens = 0;
    List<CompletableFuture<Void>> settled = new ArrayList<>();
    for (Admitted a : admitted) {
      long actual = random.nextInt((int) a.charge().tokens() * 2); // under and over the reservation
      settledTokens += actual;
      settled.add(
          leases
              .get(random.nextInt(3))
              .adjust(key, a.charge(), new Charge(actual, 0, 1), a.at(), clock().millis())
              .toCompletableFuture());
    }
    CompletableFuture.allOf(settled.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    leases.forEach(LeasingQuotaStore::close);

    List<WindowStatus> record =
        cluster.stores.get(0).status(key, LIMITS, clock().millis()).toCompletableFuture().join();
    assertEquals(settledTokens, record.get(0).used(), "tokens: exactly the settled amounts");
    assertEquals(requests, record.get(1).used(), "requests: exactly the admitted ones");
    System.out.printf(
        "leases across 3 members: %d of %d attempts admitted (%d tokens, limit %d), %d from"
            + " slices, %d slices, %d reserve calls%n",
        admitted.size(),
        3 * THREADS_PER_MEMBER * ATTEMPTS_PER_THREAD,
        tokens,
        TOKENS.max(),
        local,
        leases.stream().mapToLong(LeasingQuotaStore::leasesTaken).sum(),
        leases.stream().mapToLong(LeasingQuotaStore::reserveCalls).sum());
  }
}
