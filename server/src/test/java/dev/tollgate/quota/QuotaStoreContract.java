package dev.tollgate.quota;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link QuotaStore} contract. Every backend runs this suite: in-memory, and Hazelcast with
 * several members. Times are passed in, so nothing sleeps.
 */
public abstract class QuotaStoreContract {
  protected static final long T0 = Instant.parse("2026-11-22T12:00:00Z").toEpochMilli();
  protected static final Limit TOKENS_5M = new Limit(Window.parse("5m"), Unit.TOKENS, 1000);
  protected static final Limit TOKENS_1D = new Limit(Window.parse("1d"), Unit.TOKENS, 1500);
  protected static final Limit USD_MONTH =
      new Limit(Window.month(), Unit.NANO_USD, Money.toNanoUsd(new java.math.BigDecimal("0.01")));

  protected QuotaStore store;
  protected String key;

  /** A store for one test; closed after it. */
  protected abstract QuotaStore newStore() throws Exception;

  /**
   * Every replica's view of the same data (not closed by the suite); the store alone by default.
   */
  protected List<QuotaStore> replicas() {
    return List.of(store);
  }

  @BeforeEach
  void open() throws Exception {
    store = newStore();
    key = "user:" + UUID.randomUUID();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  protected KeyReserveResult reserve(List<Limit> limits, long tokens, long usd, long now) {
    return store
        .reserve(key, limits, new Charge(tokens, usd), now, true)
        .toCompletableFuture()
        .join();
  }

  protected long used(Limit l, long now) {
    return store.status(key, List.of(l), now).toCompletableFuture().join().get(0).used();
  }

  @Test
  void reservesWithinTheLimitAndRefusesBeyondIt() {
    assertInstanceOf(KeyReserveResult.Granted.class, reserve(List.of(TOKENS_5M), 600, 0, T0));
    KeyReserveResult.Granted g = (KeyReserveResult.Granted) reserve(List.of(TOKENS_5M), 400, 0, T0);
    assertEquals(1000, g.windows().get(0).used());
    assertEquals(0, g.windows().get(0).remaining());
    KeyReserveResult.Refused r = (KeyReserveResult.Refused) reserve(List.of(TOKENS_5M), 1, 0, T0);
    assertEquals(1000, r.binding().used());
    assertFalse(r.neverFits());
    assertEquals(1000, used(TOKENS_5M, T0), "a refusal changes nothing");
  }

  @Test
  void allWindowsOfAKeyOrNone() {
    assertInstanceOf(
        KeyReserveResult.Granted.class, reserve(List.of(TOKENS_5M, TOKENS_1D), 900, 0, T0));
    long later = T0 + Duration.ofMinutes(10).toMillis();
    assertInstanceOf(
        KeyReserveResult.Granted.class, reserve(List.of(TOKENS_5M, TOKENS_1D), 500, 0, later));
    // the 5m window has room (500 of 1000) but the day does not (1400 of 1500)
    KeyReserveResult.Refused r =
        (KeyReserveResult.Refused) reserve(List.of(TOKENS_5M, TOKENS_1D), 200, 0, later);
    assertEquals("1d", r.binding().limit().window().name());
    assertEquals(500, used(TOKENS_5M, later), "the 5m window was not charged");
    assertEquals(1400, used(TOKENS_1D, later));
  }

  @Test
  void slidingWindowRollsOffWithinOneBucket() {
    long bucket = Duration.ofMinutes(5).toMillis() / UsageRecord.BUCKETS;
    reserve(List.of(TOKENS_5M), 1000, 0, T0);
    assertEquals(1000, used(TOKENS_5M, T0 + Duration.ofMinutes(5).toMillis() - 1));
    assertEquals(0, used(TOKENS_5M, T0 + Duration.ofMinutes(5).toMillis() + bucket));
  }

  @Test
  void retryAfterIsWhenTheRequestFits() {
    reserve(List.of(TOKENS_5M), 300, 0, T0);
    long t1 = T0 + Duration.ofMinutes(2).toMillis();
    reserve(List.of(TOKENS_5M), 600, 0, t1);
    KeyReserveResult.Refused r = (KeyReserveResult.Refused) reserve(List.of(TOKENS_5M), 300, 0, t1);
    long retryAt = t1 + r.retryAfter().toMillis();
    assertInstanceOf(
        KeyReserveResult.Refused.class, reserve(List.of(TOKENS_5M), 300, 0, retryAt - 1));
    assertInstanceOf(KeyReserveResult.Granted.class, reserve(List.of(TOKENS_5M), 300, 0, retryAt));
    assertTrue(
        r.retryAfter().compareTo(Duration.ofMinutes(3)) >= 0,
        "the first 300 leave after about 3 minutes: " + r.retryAfter());
  }

  @Test
  void calendarMonthResetsAtTheBoundary() {
    long endOfJan = Instant.parse("2026-01-31T23:59:00Z").toEpochMilli();
    long usd = USD_MONTH.max();
    assertInstanceOf(KeyReserveResult.Granted.class, reserve(List.of(USD_MONTH), 0, usd, endOfJan));
    KeyReserveResult.Refused r =
        (KeyReserveResult.Refused) reserve(List.of(USD_MONTH), 0, 1, endOfJan);
    assertEquals(Duration.ofMinutes(1), r.retryAfter());
    assertInstanceOf(
        KeyReserveResult.Granted.class,
        reserve(List.of(USD_MONTH), 0, usd, Instant.parse("2026-02-01T00:00:00Z").toEpochMilli()));
  }

  @Test
  void unenforcedReservationsCountWithoutRefusing() {
    for (int i = 0; i < 3; i++) {
      KeyReserveResult o =
          store
              .reserve(key, List.of(TOKENS_5M), new Charge(600, 0), T0, false)
              .toCompletableFuture()
              .join();
      assertInstanceOf(KeyReserveResult.Granted.class, o);
    }
    assertEquals(1800, used(TOKENS_5M, T0));
    assertInstanceOf(KeyReserveResult.Refused.class, reserve(List.of(TOKENS_5M), 1, 0, T0));
  }

  @Test
  void aRequestLargerThanTheLimitNeverFits() {
    KeyReserveResult.Refused r =
        (KeyReserveResult.Refused) reserve(List.of(TOKENS_5M), 1001, 0, T0);
    assertTrue(r.neverFits());
    assertEquals(0, used(TOKENS_5M, T0));
  }

  @Test
  void adjustSettlesUpAndDownNeverBelowZero() {
    reserve(List.of(TOKENS_5M, USD_MONTH), 500, 1000, T0);
    long later = T0 + 30_000;
    store
        .adjust(key, new Charge(500, 1000), new Charge(200, 400), T0, later)
        .toCompletableFuture()
        .join();
    assertEquals(200, used(TOKENS_5M, later));
    assertEquals(400, used(USD_MONTH, later));
    store
        .adjust(key, new Charge(200, 400), new Charge(700, 400), T0, later)
        .toCompletableFuture()
        .join();
    assertEquals(700, used(TOKENS_5M, later));
    store.adjust(key, new Charge(5000, 5000), Charge.ZERO, T0, later).toCompletableFuture().join();
    assertEquals(0, used(TOKENS_5M, later));
    assertEquals(0, used(USD_MONTH, later));
  }

  @Test
  void adjustAfterTheBucketLeftTheWindowChangesNothing() {
    reserve(List.of(TOKENS_5M), 500, 0, T0);
    long muchLater = T0 + Duration.ofMinutes(20).toMillis();
    reserve(List.of(TOKENS_5M), 100, 0, muchLater);
    store.adjust(key, new Charge(500, 0), Charge.ZERO, T0, muchLater).toCompletableFuture().join();
    assertEquals(100, used(TOKENS_5M, muchLater));
  }

  @Test
  void statusChangesNothingAndResetForgets() {
    assertEquals(0, used(TOKENS_5M, T0));
    reserve(List.of(TOKENS_5M), 10, 0, T0);
    List<WindowStatus> s =
        store.status(key, List.of(TOKENS_5M, TOKENS_1D), T0).toCompletableFuture().join();
    assertEquals(10, s.get(0).used());
    assertEquals(990, s.get(0).remaining());
    assertTrue(s.get(0).resetIn().compareTo(Duration.ofMinutes(5)) <= 0);
    store.reset(key).toCompletableFuture().join();
    assertEquals(0, used(TOKENS_5M, T0));
  }

  @Test
  void hugeValuesDoNotOverflow() {
    Limit huge = new Limit(Window.parse("1h"), Unit.TOKENS, Long.MAX_VALUE / 4);
    assertInstanceOf(
        KeyReserveResult.Granted.class, reserve(List.of(huge), Long.MAX_VALUE / 8, 0, T0));
    assertInstanceOf(
        KeyReserveResult.Refused.class, reserve(List.of(huge), Long.MAX_VALUE / 4, 0, T0));
    assertInstanceOf(
        KeyReserveResult.Refused.class, reserve(List.of(huge), Long.MAX_VALUE - 1, 0, T0));
  }

  @Test
  void concurrentReservationsNeverOverAdmitAndRefuseOnlyWhenNecessary() throws Exception {
    Limit limit = new Limit(Window.parse("1h"), Unit.TOKENS, 50_000);
    int threads = 16;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    AtomicLong admitted = new AtomicLong();
    ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
    CountDownLatch done = new CountDownLatch(threads);
    for (int t = 0; t < threads; t++) {
      int seed = t;
      pool.execute(
          () -> {
            Random rnd = new Random(seed);
            try {
              for (int i = 0; i < 100; i++) {
                long amount = 1 + rnd.nextInt(200);
                KeyReserveResult o =
                    store
                        .reserve(key, List.of(limit), new Charge(amount, 0), T0, true)
                        .toCompletableFuture()
                        .get(10, TimeUnit.SECONDS);
                if (o instanceof KeyReserveResult.Granted) {
                  admitted.addAndGet(amount);
                } else if (((KeyReserveResult.Refused) o).binding().remaining() >= amount) {
                  wrong.add(
                      "refused "
                          + amount
                          + " with "
                          + ((KeyReserveResult.Refused) o).binding().remaining()
                          + " left");
                }
              }
            } catch (Exception e) {
              wrong.add(e.toString());
            } finally {
              done.countDown();
            }
          });
    }
    assertTrue(done.await(60, TimeUnit.SECONDS));
    pool.shutdown();
    assertTrue(wrong.isEmpty(), wrong.toString());
    assertEquals(admitted.get(), used(limit, T0));
    assertTrue(admitted.get() <= 50_000);
  }

  protected static final Limit REQUESTS_1M = new Limit(Window.parse("1m"), Unit.REQUESTS, 3);

  private KeyReserveResult reserveRequest(List<Limit> limits, long tokens, long now) {
    return store
        .reserve(key, limits, new Charge(tokens, 0, 1), now, true)
        .toCompletableFuture()
        .join();
  }

  @Test
  void requestsCountOnePerReservationAndRefuseBeyondTheLimit() {
    for (int i = 1; i <= 3; i++) {
      KeyReserveResult.Granted g =
          (KeyReserveResult.Granted) reserveRequest(List.of(REQUESTS_1M), 0, T0);
      assertEquals(i, g.windows().get(0).used());
      assertEquals(3 - i, g.windows().get(0).remaining());
    }
    KeyReserveResult.Refused r =
        (KeyReserveResult.Refused) reserveRequest(List.of(REQUESTS_1M), 0, T0 + 1000);
    assertEquals(REQUESTS_1M, r.binding().limit());
    assertEquals(3, r.binding().used());
    assertFalse(r.neverFits());
    assertTrue(
        r.retryAfter().compareTo(Duration.ofSeconds(57)) >= 0
            && r.retryAfter().compareTo(Duration.ofSeconds(60)) <= 0,
        "the first request rolls off one minute after it: " + r.retryAfter());
    assertEquals(3, used(REQUESTS_1M, T0 + 1000), "a refusal changes nothing");
    assertInstanceOf(
        KeyReserveResult.Granted.class,
        reserveRequest(List.of(REQUESTS_1M), 0, T0 + 60_000 + 3_000),
        "a minute later the window has room again");
  }

  @Test
  void requestsAndTokensOfOneWindowAreCountedApartAndBothBind() {
    Limit tokens = new Limit(Window.parse("1m"), Unit.TOKENS, 100);
    List<Limit> both = List.of(tokens, REQUESTS_1M);
    reserveRequest(both, 60, T0);
    assertEquals(60, used(tokens, T0));
    assertEquals(1, used(REQUESTS_1M, T0));
    KeyReserveResult.Refused byTokens = (KeyReserveResult.Refused) reserveRequest(both, 50, T0);
    assertEquals(tokens, byTokens.binding().limit());
    assertEquals(1, used(REQUESTS_1M, T0), "refused on tokens: the request is not counted");
    reserveRequest(both, 10, T0);
    reserveRequest(both, 10, T0);
    KeyReserveResult.Refused byRequests = (KeyReserveResult.Refused) reserveRequest(both, 1, T0);
    assertEquals(REQUESTS_1M, byRequests.binding().limit());
    assertEquals(80, used(tokens, T0));
  }

  @Test
  void settlingChangesTokensButTheRequestStaysUnlessGivenBack() {
    Limit tokens = new Limit(Window.parse("1m"), Unit.TOKENS, 1000);
    List<Limit> both = List.of(tokens, REQUESTS_1M);
    reserveRequest(both, 500, T0);
    Charge reserved = new Charge(500, 0, 1);
    store.adjust(key, reserved, new Charge(120, 0, 1), T0, T0 + 10).toCompletableFuture().join();
    assertEquals(120, used(tokens, T0 + 10));
    assertEquals(1, used(REQUESTS_1M, T0 + 10), "settlement keeps the request");
    store.adjust(key, new Charge(120, 0, 1), Charge.ZERO, T0, T0 + 20).toCompletableFuture().join();
    assertEquals(0, used(tokens, T0 + 20));
    assertEquals(0, used(REQUESTS_1M, T0 + 20), "giving the whole charge back");
  }

  @Test
  void shadowLimitsAreCountedButNeverRefuse() {
    Limit shadow =
        new Limit(
            Window.parse("1m"), Unit.REQUESTS, 1, Limit.Mode.SHADOW, Limit.FailurePolicy.ALLOW);
    List<Limit> limits = List.of(REQUESTS_1M, shadow);
    reserveRequest(limits, 0, T0);
    KeyReserveResult.Granted g = (KeyReserveResult.Granted) reserveRequest(limits, 0, T0);
    WindowStatus s = g.windows().get(1);
    assertEquals(shadow, s.limit(), "the limit's mode and failure policy travel with it");
    assertEquals(2, s.used());
    assertEquals(0, s.remaining());
    reserveRequest(limits, 0, T0);
    assertInstanceOf(
        KeyReserveResult.Refused.class,
        reserveRequest(limits, 0, T0),
        "the enforced limit of the same window still refuses");
  }

  @Test
  void aHeldReservationIsTakenOnceOnEveryReplica() throws Exception {
    Reservation r =
        new Reservation(UUID.randomUUID().toString(), T0, new Charge(7, 9), List.of(key, "global"));
    store.hold(r, T0 + 60_000, T0).toCompletableFuture().join();
    List<QuotaStore> all = replicas();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    ConcurrentLinkedQueue<Reservation> got = new ConcurrentLinkedQueue<>();
    CountDownLatch done = new CountDownLatch(16);
    for (int i = 0; i < 16; i++) {
      QuotaStore s = all.get(i % all.size());
      pool.execute(
          () -> {
            try {
              Reservation t = s.take(r.id()).toCompletableFuture().get(10, TimeUnit.SECONDS);
              if (t != null) {
                got.add(t);
              }
            } catch (Exception e) {
              throw new IllegalStateException(e);
            } finally {
              done.countDown();
            }
          });
    }
    assertTrue(done.await(30, TimeUnit.SECONDS));
    pool.shutdown();
    assertEquals(List.of(r), List.copyOf(got));
    assertEquals(null, store.take(r.id()).toCompletableFuture().join());
    assertEquals(null, store.take("never-held").toCompletableFuture().join());
  }

  @Test
  void aHeldReservationKeepsItsTagWhenTakenOrExpired() {
    String tag = "l1|pro|ali%7Cce|web|gpt-4o|12";
    Reservation taken =
        new Reservation(UUID.randomUUID().toString(), T0, new Charge(3, 4), List.of(key), tag);
    Reservation expiring =
        new Reservation(UUID.randomUUID().toString(), T0, new Charge(5, 6), List.of(), "t=|x");
    store.hold(taken, T0 + 60_000, T0).toCompletableFuture().join();
    store.hold(expiring, T0 + 1000, T0).toCompletableFuture().join();
    assertEquals(taken, store.take(taken.id()).toCompletableFuture().join());
    List<Reservation> expired = new java.util.ArrayList<>();
    for (QuotaStore s : replicas()) {
      expired.addAll(s.takeExpired(T0 + 2000));
    }
    assertEquals(
        List.of(expiring), expired.stream().filter(r -> r.id().equals(expiring.id())).toList());
  }

  @Test
  void aHeldReservationKeepsItsRequests() {
    Reservation r =
        new Reservation(UUID.randomUUID().toString(), T0, new Charge(7, 8, 1), List.of(key), "t");
    store.hold(r, T0 + 60_000, T0).toCompletableFuture().join();
    assertEquals(r, store.take(r.id()).toCompletableFuture().join());
  }

  @Test
  void expiredReservationsAreTakenOnceAndOthersStay() {
    Reservation soon =
        new Reservation(UUID.randomUUID().toString(), T0, new Charge(1, 0), List.of(key));
    Reservation later =
        new Reservation(UUID.randomUUID().toString(), T0, new Charge(2, 0), List.of(key));
    store.hold(soon, T0 + 1000, T0).toCompletableFuture().join();
    store.hold(later, T0 + 3_600_000, T0).toCompletableFuture().join();
    List<Reservation> taken = new java.util.ArrayList<>();
    for (QuotaStore s : replicas()) {
      taken.addAll(s.takeExpired(T0 + 2000));
    }
    for (QuotaStore s : replicas()) {
      taken.addAll(s.takeExpired(T0 + 2000));
    }
    assertEquals(
        List.of(soon),
        taken.stream().filter(r -> r.id().equals(soon.id()) || r.id().equals(later.id())).toList());
    assertEquals(null, store.take(soon.id()).toCompletableFuture().join());
    assertEquals(later, store.take(later.id()).toCompletableFuture().join());
  }
}
