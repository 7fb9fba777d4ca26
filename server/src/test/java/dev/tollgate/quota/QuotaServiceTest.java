package dev.tollgate.quota;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

class QuotaServiceTest {
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-11-22T12:00:00Z"), ZoneOffset.UTC);
  private static final Limit L = new Limit(Window.parse("1h"), Unit.TOKENS, 1000);

  @Test
  void aLaterRefusalReleasesEarlierGrants() {
    InMemoryQuotaStore store = new InMemoryQuotaStore();
    QuotaService q = new QuotaService(store, CLOCK, Duration.ofMillis(150));
    QuotaTarget user = new QuotaTarget(Scope.USER, "user:a", List.of(L), true);
    QuotaTarget global =
        new QuotaTarget(
            Scope.GLOBAL, "global", List.of(new Limit(Window.parse("1h"), Unit.TOKENS, 100)), true);
    ReserveResult d =
        q.reserve(List.of(user, global), new Charge(150, 0)).toCompletableFuture().join();
    ReserveResult.OverQuota over = assertInstanceOf(ReserveResult.OverQuota.class, d);
    assertEquals(Scope.GLOBAL, over.target().scope());
    assertTrue(over.neverFits());
    assertEquals(0, q.status("user:a", List.of(L)).toCompletableFuture().join().get(0).used());
  }

  @Test
  void settleAndReleaseCorrectEveryKey() {
    InMemoryQuotaStore store = new InMemoryQuotaStore();
    QuotaService q = new QuotaService(store, CLOCK, Duration.ofMillis(150));
    QuotaTarget a = new QuotaTarget(Scope.USER, "user:a", List.of(L), true);
    QuotaTarget k = new QuotaTarget(Scope.KEY, "key:web", List.of(L), true);
    ReserveResult.Reserved r =
        (ReserveResult.Reserved)
            q.reserve(List.of(a, k), new Charge(500, 0)).toCompletableFuture().join();
    Reservation back = Reservation.decode(r.reservation().encode());
    assertEquals(r.reservation(), back);
    assertEquals(1, q.heldCount());
    assertEquals(
        Settlement.SETTLED, q.settle(back.id(), new Charge(120, 0)).toCompletableFuture().join());
    assertEquals(120, q.status("user:a", List.of(L)).toCompletableFuture().join().get(0).used());
    assertEquals(120, q.status("key:web", List.of(L)).toCompletableFuture().join().get(0).used());
    assertEquals(0, q.heldCount());
    ReserveResult.Reserved r2 =
        (ReserveResult.Reserved)
            q.reserve(List.of(a, k), new Charge(300, 0)).toCompletableFuture().join();
    assertEquals(Settlement.SETTLED, q.release(r2.reservation().id()).toCompletableFuture().join());
    assertEquals(120, q.status("user:a", List.of(L)).toCompletableFuture().join().get(0).used());
  }

  @Test
  void requestsStayCountedWhenSettledOrReleasedAndGoBackWhenRefusedOrCancelled() {
    InMemoryQuotaStore store = new InMemoryQuotaStore();
    QuotaService q = new QuotaService(store, CLOCK, Duration.ofMillis(150));
    Limit rpm = new Limit(Window.parse("1m"), Unit.REQUESTS, 10);
    QuotaTarget a = new QuotaTarget(Scope.USER, "user:a", List.of(L, rpm), true);
    QuotaTarget tight =
        new QuotaTarget(
            Scope.GLOBAL, "global", List.of(new Limit(Window.parse("1h"), Unit.TOKENS, 200)), true);
    java.util.function.LongSupplier requests =
        () -> q.status("user:a", List.of(rpm)).toCompletableFuture().join().get(0).used();
    ReserveResult.Reserved settled =
        (ReserveResult.Reserved)
            q.reserve(List.of(a), new Charge(100, 0, 1)).toCompletableFuture().join();
    assertEquals(1, requests.getAsLong());
    Reservation back = Reservation.decode(settled.reservation().encode());
    assertEquals(settled.reservation(), back);
    q.settle(back.id(), new Charge(40, 0)).toCompletableFuture().join();
    assertEquals(1, requests.getAsLong(), "settlement never changes the request count");
    assertEquals(40, q.status("user:a", List.of(L)).toCompletableFuture().join().get(0).used());
    ReserveResult.Reserved released =
        (ReserveResult.Reserved)
            q.reserve(List.of(a), new Charge(100, 0, 1)).toCompletableFuture().join();
    q.release(released.reservation().id()).toCompletableFuture().join();
    assertEquals(2, requests.getAsLong(), "a failed upstream call still was a request");
    assertInstanceOf(
        ReserveResult.OverQuota.class,
        q.reserve(List.of(a, tight), new Charge(300, 0, 1)).toCompletableFuture().join());
    assertEquals(2, requests.getAsLong(), "a refused request is given back on every key");
    ReserveResult.Reserved cancelled =
        (ReserveResult.Reserved)
            q.reserve(List.of(a), new Charge(100, 0, 1)).toCompletableFuture().join();
    q.cancel(cancelled.reservation().id()).toCompletableFuture().join();
    assertEquals(2, requests.getAsLong(), "a Check answer that never reached Envoy");
    assertEquals(40, q.status("user:a", List.of(L)).toCompletableFuture().join().get(0).used());
  }

  @Test
  void reservationsWithRequestsEncodeAsVersion2AndOthersAsBefore() {
    Reservation tokens = new Reservation("id1", 5, new Charge(3, 4), List.of("user:a|b"), "t|x");
    assertTrue(tokens.encode().startsWith("r1|id1|5|3|4|"));
    Reservation withRequests =
        new Reservation("id2", 5, new Charge(3, 4, 1), List.of("user:a|b", "global"), "t|x");
    assertEquals("r2|id2|5|3|4|1|user%3Aa%7Cb|global", withRequests.encode());
    assertEquals(withRequests, Reservation.decode(withRequests.encodeHeld()));
    assertEquals(
        new Reservation("id2", 5, new Charge(3, 4, 1), List.of("user:a|b", "global")),
        Reservation.decode(withRequests.encode()));
    assertEquals(tokens, Reservation.decode(tokens.encodeHeld()));
    assertThrows(IllegalArgumentException.class, () -> Reservation.decode("r2|id|5|3|4"));
  }

  @Test
  void aReservationSettlesAtMostOnce() {
    InMemoryQuotaStore store = new InMemoryQuotaStore();
    QuotaService q = new QuotaService(store, CLOCK, Duration.ofMillis(150));
    QuotaTarget a = new QuotaTarget(Scope.USER, "user:a", List.of(L), true);
    ReserveResult.Reserved mine =
        (ReserveResult.Reserved)
            q.reserve(List.of(a), new Charge(500, 0)).toCompletableFuture().join();
    q.reserve(List.of(a), new Charge(300, 0)).toCompletableFuture().join();
    String id = mine.reservation().id();
    assertEquals(Settlement.SETTLED, q.settle(id, new Charge(100, 0)).toCompletableFuture().join());
    assertEquals(400, q.status("user:a", List.of(L)).toCompletableFuture().join().get(0).used());
    // a replay, a release after the settlement, an id never reserved: nothing moves
    assertEquals(Settlement.NOT_HELD, q.settle(id, Charge.ZERO).toCompletableFuture().join());
    assertEquals(Settlement.NOT_HELD, q.release(id).toCompletableFuture().join());
    assertEquals(Settlement.NOT_HELD, q.release("invented").toCompletableFuture().join());
    assertEquals(400, q.status("user:a", List.of(L)).toCompletableFuture().join().get(0).used());
  }

  @Test
  void expiredReservationsAreKeptOrReleasedByPolicy() {
    java.util.concurrent.atomic.AtomicLong now =
        new java.util.concurrent.atomic.AtomicLong(CLOCK.millis());
    Clock clock =
        new Clock() {
          @Override
          public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
          }

          @Override
          public Clock withZone(java.time.ZoneId zone) {
            return this;
          }

          @Override
          public Instant instant() {
            return Instant.ofEpochMilli(now.get());
          }
        };
    InMemoryQuotaStore store = new InMemoryQuotaStore();
    QuotaService q = new QuotaService(store, clock, Duration.ofMillis(150), Duration.ofMinutes(10));
    QuotaTarget a = new QuotaTarget(Scope.USER, "user:a", List.of(L), true);
    ReserveResult.Reserved kept =
        (ReserveResult.Reserved)
            q.reserve(List.of(a), new Charge(200, 0)).toCompletableFuture().join();
    now.addAndGet(Duration.ofMinutes(9).toMillis());
    assertEquals(0, q.expire(false));
    now.addAndGet(Duration.ofMinutes(2).toMillis());
    assertEquals(1, q.expire(false));
    assertEquals(200, q.status("user:a", List.of(L)).toCompletableFuture().join().get(0).used());
    assertEquals(
        Settlement.NOT_HELD,
        q.settle(kept.reservation().id(), Charge.ZERO).toCompletableFuture().join());
    q.reserve(List.of(a), new Charge(300, 0)).toCompletableFuture().join();
    now.addAndGet(Duration.ofMinutes(11).toMillis());
    assertEquals(1, q.expire(true));
    assertEquals(200, q.status("user:a", List.of(L)).toCompletableFuture().join().get(0).used());
    assertEquals(2, q.expiredCount());
  }

  @Test
  void aGrantThatArrivesAfterTheDeadlineIsGivenBack() {
    InMemoryQuotaStore inner = new InMemoryQuotaStore();
    CompletableFuture<Void> gate = new CompletableFuture<>();
    QuotaStore slow =
        new ForwardingQuotaStore(inner) {
          @Override
          public CompletionStage<KeyReserveResult> reserve(
              String key, List<Limit> limits, Charge charge, long now, boolean e) {
            return gate.thenCompose(v -> inner.reserve(key, limits, charge, now, e));
          }
        };
    QuotaService q = new QuotaService(slow, CLOCK, Duration.ofMillis(50));
    QuotaTarget a = new QuotaTarget(Scope.USER, "user:a", List.of(L), true);
    CompletionException e =
        assertThrows(
            CompletionException.class,
            () -> q.reserve(List.of(a), new Charge(400, 0)).toCompletableFuture().join());
    assertInstanceOf(StoreUnavailableException.class, e.getCause());
    gate.complete(null); // the store answers after Tollgate gave up: the grant must not stay
    assertEquals(0, q.status("user:a", List.of(L)).toCompletableFuture().join().get(0).used());
    assertEquals(1, q.lateReleases());
    assertEquals(0, q.heldCount());
  }

  @Test
  void aHoldThatFailsGivesTheGrantsBack() {
    InMemoryQuotaStore inner = new InMemoryQuotaStore();
    QuotaStore noHold =
        new ForwardingQuotaStore(inner) {
          @Override
          public CompletionStage<Void> hold(Reservation r, long expiresAt, long now) {
            return CompletableFuture.failedFuture(new IllegalStateException("map unavailable"));
          }
        };
    QuotaService q = new QuotaService(noHold, CLOCK, Duration.ofMillis(150));
    QuotaTarget a = new QuotaTarget(Scope.USER, "user:a", List.of(L), true);
    CompletionException e =
        assertThrows(
            CompletionException.class,
            () -> q.reserve(List.of(a), new Charge(400, 0)).toCompletableFuture().join());
    assertInstanceOf(StoreUnavailableException.class, e.getCause());
    assertEquals(0, q.status("user:a", List.of(L)).toCompletableFuture().join().get(0).used());
  }

  private static <T> CompletionStage<T> fail(boolean hang) {
    if (hang) {
      return new CompletableFuture<>();
    }
    throw new IllegalStateException("boom");
  }

  /** A store whose calls never complete, or throw. */
  static QuotaStore broken(boolean hang) {
    return new QuotaStore() {
      <T> CompletionStage<T> fail() {
        if (hang) {
          return new CompletableFuture<>();
        }
        throw new IllegalStateException("boom");
      }

      @Override
      public CompletionStage<KeyReserveResult> reserve(
          String key, List<Limit> limits, Charge charge, long now, boolean e) {
        return fail();
      }

      @Override
      public CompletionStage<Void> adjust(String key, Charge r, Charge a, long at, long now) {
        return fail();
      }

      @Override
      public CompletionStage<List<WindowStatus>> status(String key, List<Limit> limits, long now) {
        return fail();
      }

      @Override
      public CompletionStage<Void> reset(String key) {
        return fail();
      }

      @Override
      public CompletionStage<Void> hold(Reservation r, long expiresAt, long now) {
        return fail();
      }

      @Override
      public CompletionStage<Reservation> take(String id) {
        return fail();
      }

      @Override
      public List<Reservation> takeExpired(long now) {
        return QuotaServiceTest.<List<Reservation>>fail(hang).toCompletableFuture().join();
      }

      @Override
      public long heldCount() {
        return 0;
      }

      @Override
      public void close() {}
    };
  }

  @Test
  void aSilentStoreFailsWithinTheDeadline() {
    QuotaService q = new QuotaService(broken(true), CLOCK, Duration.ofMillis(100));
    long t0 = System.nanoTime();
    CompletionException e =
        assertThrows(
            CompletionException.class,
            () ->
                q.reserve(
                        List.of(new QuotaTarget(Scope.USER, "user:a", List.of(L), true)),
                        new Charge(1, 0))
                    .toCompletableFuture()
                    .join());
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertInstanceOf(StoreUnavailableException.class, e.getCause());
    assertTrue(ms >= 90 && ms < 600, "failed after " + ms + " ms");
  }

  @Test
  void aThrowingStoreIsUnavailableNotACrash() {
    QuotaService q = new QuotaService(broken(false), CLOCK, Duration.ofMillis(100));
    CompletionException e =
        assertThrows(
            CompletionException.class,
            () ->
                q.reserve(
                        List.of(new QuotaTarget(Scope.USER, "user:a", List.of(L), true)),
                        new Charge(1, 0))
                    .toCompletableFuture()
                    .join());
    assertInstanceOf(StoreUnavailableException.class, e.getCause());
    assertThrows(
        CompletionException.class, () -> q.settle("x", Charge.ZERO).toCompletableFuture().join());
  }

  @Test
  void reservationsEncodeAnyKey() {
    Reservation r =
        new Reservation(
            "id1", 123, new Charge(5, 7), List.of("user:a|b", "conversation:ü:1", "global"));
    assertEquals(r, Reservation.decode(r.encode()));
    for (String bad : new String[] {"", "r1|x", "r2|a|1|2|3", "r1|a|x|2|3", "r1|a|1|-2|3"}) {
      assertThrows(IllegalArgumentException.class, () -> Reservation.decode(bad), bad);
    }
  }

  @Test
  void recordStateRoundTripsAndStaysSmall() {
    UsageRecord r = UsageRecord.empty();
    List<Limit> limits =
        List.of(
            new Limit(Window.parse("5m"), Unit.TOKENS, 20000),
            new Limit(Window.parse("1d"), Unit.TOKENS, 200000),
            new Limit(Window.month(), Unit.NANO_USD, 5_000_000_000L));
    long now = CLOCK.millis();
    r.reserve(limits, new Charge(100, 2000), now, true);
    UsageRecord back = UsageRecord.fromState(r.state());
    assertEquals(r.status(limits, now), back.status(limits, now));
    UsageRecord.State s = back.state();
    long bytes =
        8L * (s.tokens().length + s.nanoUsd().length + s.head().length + s.lengthMillis().length)
            + 16 * 3;
    assertTrue(bytes <= 1024, "counter bytes per user record: " + bytes);
  }
}
