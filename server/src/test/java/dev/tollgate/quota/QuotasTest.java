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

class QuotasTest {
  private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-22T12:00:00Z"), ZoneOffset.UTC);
  private static final Limit L = new Limit(Window.parse("1h"), Unit.TOKENS, 1000);

  @Test
  void aLaterRefusalReleasesEarlierGrants() {
    InMemoryQuotaStore store = new InMemoryQuotaStore();
    Quotas q = new Quotas(store, CLOCK, Duration.ofMillis(150));
    Target user = new Target(Scope.USER, "user:a", List.of(L), true);
    Target global = new Target(Scope.GLOBAL, "global", List.of(new Limit(Window.parse("1h"), Unit.TOKENS, 100)), true);
    QuotaDecision d = q.reserve(List.of(user, global), new Charge(150, 0)).toCompletableFuture().join();
    QuotaDecision.OverQuota over = assertInstanceOf(QuotaDecision.OverQuota.class, d);
    assertEquals(Scope.GLOBAL, over.target().scope());
    assertTrue(over.neverFits());
    assertEquals(0, q.status("user:a", List.of(L)).toCompletableFuture().join().get(0).used());
  }

  @Test
  void settleAndReleaseCorrectEveryKey() {
    InMemoryQuotaStore store = new InMemoryQuotaStore();
    Quotas q = new Quotas(store, CLOCK, Duration.ofMillis(150));
    Target a = new Target(Scope.USER, "user:a", List.of(L), true);
    Target k = new Target(Scope.KEY, "key:web", List.of(L), true);
    QuotaDecision.Reserved r = (QuotaDecision.Reserved) q.reserve(List.of(a, k), new Charge(500, 0)).toCompletableFuture().join();
    Reservation back = Reservation.decode(r.reservation().encode());
    assertEquals(r.reservation(), back);
    q.settle(back, new Charge(120, 0)).toCompletableFuture().join();
    assertEquals(120, q.status("user:a", List.of(L)).toCompletableFuture().join().get(0).used());
    assertEquals(120, q.status("key:web", List.of(L)).toCompletableFuture().join().get(0).used());
    q.release(new Reservation(back.id(), back.atMillis(), new Charge(120, 0), back.keys())).toCompletableFuture().join();
    assertEquals(0, q.status("user:a", List.of(L)).toCompletableFuture().join().get(0).used());
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
      public CompletionStage<KeyOutcome> reserve(String key, List<Limit> limits, Charge charge, long now, boolean e) {
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
      public void close() {}
    };
  }

  @Test
  void aSilentStoreFailsWithinTheDeadline() {
    Quotas q = new Quotas(broken(true), CLOCK, Duration.ofMillis(100));
    long t0 = System.nanoTime();
    CompletionException e = assertThrows(CompletionException.class, () ->
        q.reserve(List.of(new Target(Scope.USER, "user:a", List.of(L), true)), new Charge(1, 0)).toCompletableFuture().join());
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertInstanceOf(StoreUnavailableException.class, e.getCause());
    assertTrue(ms >= 90 && ms < 600, "failed after " + ms + " ms");
  }

  @Test
  void aThrowingStoreIsUnavailableNotACrash() {
    Quotas q = new Quotas(broken(false), CLOCK, Duration.ofMillis(100));
    CompletionException e = assertThrows(CompletionException.class, () ->
        q.reserve(List.of(new Target(Scope.USER, "user:a", List.of(L), true)), new Charge(1, 0)).toCompletableFuture().join());
    assertInstanceOf(StoreUnavailableException.class, e.getCause());
    assertThrows(CompletionException.class, () -> q.settle(new Reservation("x", 0, Charge.ZERO, List.of("user:a")),
        Charge.ZERO).toCompletableFuture().join());
  }

  @Test
  void reservationsEncodeAnyKey() {
    Reservation r = new Reservation("id1", 123, new Charge(5, 7), List.of("user:a|b", "conversation:ü:1", "global"));
    assertEquals(r, Reservation.decode(r.encode()));
    for (String bad : new String[] {"", "r1|x", "r2|a|1|2|3", "r1|a|x|2|3", "r1|a|1|-2|3"}) {
      assertThrows(IllegalArgumentException.class, () -> Reservation.decode(bad), bad);
    }
  }

  @Test
  void recordStateRoundTripsAndStaysSmall() {
    UsageRecord r = UsageRecord.empty();
    List<Limit> limits = List.of(new Limit(Window.parse("5m"), Unit.TOKENS, 20000),
        new Limit(Window.parse("1d"), Unit.TOKENS, 200000), new Limit(Window.month(), Unit.NANO_USD, 5_000_000_000L));
    long now = CLOCK.millis();
    r.reserve(limits, new Charge(100, 2000), now, true);
    UsageRecord back = UsageRecord.fromState(r.state());
    assertEquals(r.status(limits, now), back.status(limits, now));
    UsageRecord.State s = back.state();
    long bytes = 8L * (s.tokens().length + s.nanoUsd().length + s.head().length + s.lengthMillis().length) + 16 * 3;
    assertTrue(bytes <= 1024, "counter bytes per user record: " + bytes);
  }
}
