package dev.tollgate.quota;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.testsupport.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Leases on one member, over the in-memory store (the cluster's record logic), with a clock moved
 * by hand: when a slice is taken and how large, what is admitted from it, and that every slice and
 * adjust reaches the record exactly.
 */
class LeasingQuotaStoreTest {
  private static final long T0 = Instant.parse("2026-11-22T12:00:00Z").toEpochMilli();
  private static final Limit TOKENS_1H = new Limit(Window.parse("1h"), Unit.TOKENS, 1_000_000);
  private static final Limit REQUESTS_1M = new Limit(Window.parse("1m"), Unit.REQUESTS, 100_000);
  private static final List<Limit> LIMITS = List.of(TOKENS_1H, REQUESTS_1M);
  private static final Charge CHARGE = new Charge(100, 0, 1);

  private final ManualClock clock = new ManualClock(T0);
  private InMemoryQuotaStore records;
  private Counting cluster;
  private LeasingQuotaStore store;
  private final String key = "global-" + UUID.randomUUID();

  @BeforeEach
  void open() {
    records = new InMemoryQuotaStore();
    cluster = new Counting(records);
    store = new LeasingQuotaStore(cluster, clock, () -> 1);
  }

  @AfterEach
  void close() {
    store.close();
    records.close();
  }

  private KeyReserveResult reserve(List<Limit> limits, Charge charge, long now) {
    return store.reserve(key, limits, charge, now, true).toCompletableFuture().join();
  }

  private long used(Limit l, long now) {
    return records.status(key, List.of(l), now).toCompletableFuture().join().get(0).used();
  }

  /** Ten requests in the granule of {@code T0}: each reserved exactly, the demand seen. */
  private void warmUp() {
    for (int i = 0; i < 10; i++) {
      assertInstanceOf(KeyReserveResult.Granted.class, reserve(LIMITS, CHARGE, T0 + i));
    }
    assertEquals(10, cluster.reserves.size(), "no demand seen yet: every request reserved exactly");
  }

  @Test
  void aHotKeyFarFromItsLimitsIsAdmittedFromASlice() {
    warmUp();
    long t1 = T0 + LeasingQuotaStore.GRANULE_MILLIS;
    for (int i = 0; i < 20; i++) {
      assertInstanceOf(KeyReserveResult.Granted.class, reserve(LIMITS, CHARGE, t1 + i));
    }
    // one slice for twice the previous granule's requests: 20 x (100 tokens, 1 request)
    assertEquals(11, cluster.reserves.size(), "20 requests, one store call");
    assertEquals(new Charge(2000, 0, 20), cluster.reserves.get(10));
    assertEquals(1, store.leasesTaken());
    assertEquals(20, store.localAdmissions());
    assertEquals(3000, used(TOKENS_1H, t1), "the record holds the whole slice at once");
  }

  @Test
  void theWindowsReportedFromASliceCountOnlyWhatWasAdmitted() {
    warmUp();
    long t1 = T0 + LeasingQuotaStore.GRANULE_MILLIS;
    reserve(LIMITS, CHARGE, t1);
    KeyReserveResult.Granted g = (KeyReserveResult.Granted) reserve(LIMITS, CHARGE, t1 + 1);
    assertEquals(1200, g.windows().get(0).used());
    assertEquals(1_000_000 - 1200, g.windows().get(0).remaining());
    assertEquals(12, g.windows().get(1).used());
  }

  @Test
  void aSliceIsGivenBackWhenItsGranuleEnds() {
    warmUp();
    long t1 = T0 + LeasingQuotaStore.GRANULE_MILLIS;
    for (int i = 0; i < 5; i++) {
      reserve(LIMITS, CHARGE, t1 + i);
    }
    assertEquals(3000, used(TOKENS_1H, t1));
    clock.set(t1 + LeasingQuotaStore.GRANULE_MILLIS);
    await("the unused slice is given back")
        .atMost(Duration.ofSeconds(10))
        .until(() -> used(TOKENS_1H, clock.millis()) == 1500);
    assertEquals(15, used(REQUESTS_1M, clock.millis()));
    assertEquals(1, store.leasesReturned());
  }

  @Test
  void aRequestInTheNextGranuleGivesTheSliceBackAndIsNotServedFromIt() {
    warmUp();
    long t1 = T0 + LeasingQuotaStore.GRANULE_MILLIS;
    for (int i = 0; i < 3; i++) {
      reserve(LIMITS, CHARGE, t1 + i);
    }
    long t2 = t1 + LeasingQuotaStore.GRANULE_MILLIS;
    reserve(LIMITS, CHARGE, t2);
    // the request of t2 took a slice of its own (the previous granule had 3 requests: 6)
    assertEquals(new Charge(600, 0, 6), cluster.reserves.get(cluster.reserves.size() - 1));
    store.close();
    // 10 exact + 3 + 1 admitted; both slices given back
    assertEquals(1400, used(TOKENS_1H, t2));
    assertEquals(14, used(REQUESTS_1M, t2));
  }

  @Test
  void aKeyNearItsLimitIsReservedExactly() {
    // 10 x 100 used of 9000: 8000 left, a slice may hold 8000 / 8 = 1000, which is 10 requests;
    // after 5 more, 7500 left: 937, 9 requests; ... down to below 4 requests: exact
    Limit tight = new Limit(Window.parse("1h"), Unit.TOKENS, 9000);
    List<Limit> limits = List.of(tight);
    for (int i = 0; i < 10; i++) {
      reserve(limits, CHARGE, T0 + i);
    }
    long g = T0;
    int admitted = 10;
    while (admitted < 90) {
      g += LeasingQuotaStore.GRANULE_MILLIS;
      for (int i = 0; i < 10 && admitted < 90; i++) {
        if (reserve(limits, CHARGE, g + i) instanceof KeyReserveResult.Granted) {
          admitted++;
        }
      }
    }
    store.close();
    assertEquals(9000, used(tight, g), "every token admitted, none over");
    // the last requests near the limit were reserved one by one, with their own charge
    List<Charge> last =
        cluster.reserves.subList(cluster.reserves.size() - 5, cluster.reserves.size());
    assertEquals(Collections.nCopies(5, CHARGE), last);
    assertInstanceOf(KeyReserveResult.Refused.class, reserve(limits, CHARGE, g));
  }

  @Test
  void aRequestLargerThanWhatIsLeftOfTheSliceIsReservedOnTheCluster() {
    warmUp();
    long t1 = T0 + LeasingQuotaStore.GRANULE_MILLIS;
    reserve(LIMITS, CHARGE, t1);
    int calls = cluster.reserves.size();
    Charge big = new Charge(50_000, 0, 1);
    assertInstanceOf(KeyReserveResult.Granted.class, reserve(LIMITS, big, t1 + 1));
    assertTrue(cluster.reserves.size() > calls, "the cluster decided");
    store.close();
    assertEquals(1000 + 100 + 50_000, used(TOKENS_1H, t1));
  }

  @Test
  void aRefusalWhileOwnAdjustsArePendingIsAskedAgainOnceTheyArrive() {
    store.close();
    store = new LeasingQuotaStore(cluster, clock, () -> 1, 3_600_000); // sends only when asked
    Limit tight = new Limit(Window.parse("1h"), Unit.TOKENS, 1000);
    List<Limit> limits = List.of(tight);
    assertInstanceOf(KeyReserveResult.Granted.class, reserve(limits, new Charge(1000, 0, 1), T0));
    // a release is queued (not yet sent) when the next request comes
    store.adjust(key, new Charge(1000, 0, 1), new Charge(0, 0, 1), T0, T0 + 1);
    KeyReserveResult r = reserve(limits, new Charge(1000, 0, 1), T0 + 2);
    assertInstanceOf(KeyReserveResult.Granted.class, r, "the release was counted before refusing");
    assertEquals(1000, used(tight, T0 + 2));
  }

  @Test
  void adjustsOfOneGranuleAreSentAsOneCall() throws Exception {
    Limit l = new Limit(Window.parse("1h"), Unit.TOKENS, 1_000_000);
    for (int i = 0; i < 5; i++) {
      records.reserve(key, List.of(l), new Charge(100, 0, 1), T0 + i, true);
    }
    records.reserve(
        key, List.of(l), new Charge(100, 0, 1), T0 + LeasingQuotaStore.GRANULE_MILLIS, true);
    List<CompletableFuture<Void>> settled = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      settled.add(
          store
              .adjust(key, new Charge(100, 0, 1), new Charge(30, 0, 1), T0 + i, T0 + 100)
              .toCompletableFuture());
    }
    settled.add(
        store
            .adjust(
                key,
                new Charge(100, 0, 1),
                new Charge(250, 0, 1),
                T0 + LeasingQuotaStore.GRANULE_MILLIS,
                T0 + 100)
            .toCompletableFuture());
    CompletableFuture.allOf(settled.toArray(CompletableFuture[]::new))
        .get(10, java.util.concurrent.TimeUnit.SECONDS);
    assertEquals(2, cluster.adjusts.get(), "one call per granule");
    assertEquals(5 * 30 + 250, used(l, T0 + 100));
  }

  @Test
  void closeGivesEverySliceBack() {
    warmUp();
    long t1 = T0 + LeasingQuotaStore.GRANULE_MILLIS;
    for (int i = 0; i < 4; i++) {
      reserve(LIMITS, CHARGE, t1 + i);
    }
    store.adjust(key, CHARGE, new Charge(40, 0, 1), t1, t1 + 5);
    store.close();
    assertEquals(1000 + 300 + 40, used(TOKENS_1H, t1));
    assertEquals(14, used(REQUESTS_1M, t1));
  }

  @Test
  void unenforcedShadowAndSubSecondLimitsAreNeverLeased() {
    assertTrue(LeasingQuotaStore.leasable(LIMITS));
    assertTrue(
        !LeasingQuotaStore.leasable(
            List.of(
                new Limit(Window.parse("1h"), Unit.TOKENS, 10, Limit.Mode.SHADOW, null),
                TOKENS_1H)));
    assertTrue(
        !LeasingQuotaStore.leasable(
            List.of(new Limit(new Window("x", Duration.ofMillis(1500), false), Unit.TOKENS, 9))));
    assertTrue(!LeasingQuotaStore.leasable(List.of()));
    for (int g = 0; g < 3; g++) {
      for (int i = 0; i < 10; i++) {
        store
            .reserve(key, LIMITS, CHARGE, T0 + g * LeasingQuotaStore.GRANULE_MILLIS + i, false)
            .toCompletableFuture()
            .join();
      }
    }
    assertEquals(30, cluster.reserves.size());
    assertEquals(0, store.leasesTaken());
  }

  @Test
  void resetForgetsTheSlice() {
    warmUp();
    long t1 = T0 + LeasingQuotaStore.GRANULE_MILLIS;
    reserve(LIMITS, CHARGE, t1);
    store.reset(key).toCompletableFuture().join();
    store.close();
    assertEquals(0, used(TOKENS_1H, t1), "nothing given back into the reset record");
  }

  @Test
  void aSliceTheStoreFailsToReserveFailsOnlyItsRequest() {
    warmUp();
    long t1 = T0 + LeasingQuotaStore.GRANULE_MILLIS;
    cluster.failBig = true; // the store throws on a reservation larger than one request
    CompletableFuture<KeyReserveResult> failed =
        store.reserve(key, LIMITS, CHARGE, t1, true).toCompletableFuture();
    assertTrue(failed.isCompletedExceptionally(), "the store's failure is the request's");
    cluster.failBig = false;
    // the next request is not left waiting for the failed slice: it takes one of its own
    assertInstanceOf(KeyReserveResult.Granted.class, reserve(LIMITS, CHARGE, t1 + 1));
    assertEquals(1, store.leasesTaken());
  }

  /** Counts the calls that reach the record. */
  private static final class Counting extends ForwardingQuotaStore {
    final List<Charge> reserves = Collections.synchronizedList(new ArrayList<>());
    final AtomicLong adjusts = new AtomicLong();
    volatile boolean failBig;

    Counting(QuotaStore d) {
      super(d);
    }

    @Override
    public java.util.concurrent.CompletionStage<KeyReserveResult> reserve(
        String key, List<Limit> limits, Charge charge, long now, boolean e) {
      if (failBig && charge.requests() > 1) {
        throw new IllegalStateException("store down");
      }
      reserves.add(charge);
      return super.reserve(key, limits, charge, now, e);
    }

    @Override
    public java.util.concurrent.CompletionStage<Void> adjust(
        String key, Charge r, Charge a, long at, long now) {
      adjusts.incrementAndGet();
      return super.adjust(key, r, a, at, now);
    }

    @Override
    public void close() {
      // the records outlive the leases: the test reads them after
    }
  }
}
