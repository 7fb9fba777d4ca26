package dev.tollgate.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.quota.Charge;
import dev.tollgate.quota.ForwardingQuotaStore;
import dev.tollgate.quota.InMemoryQuotaStore;
import dev.tollgate.quota.KeyReserveResult;
import dev.tollgate.quota.LeasingQuotaStore;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.QuotaService;
import dev.tollgate.quota.QuotaStore;
import dev.tollgate.quota.QuotaTarget;
import dev.tollgate.quota.Reservation;
import dev.tollgate.quota.ReserveResult;
import dev.tollgate.quota.Scope;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.Window;
import dev.tollgate.testsupport.ManualClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/**
 * Store calls per Check (reserve on the user's key and the global key, hold, then take and settle
 * both), with and without leases: one replica, 1000 Checks a second spread over 50 users, counted
 * where they reach the cluster's store. The count does not depend on the backend, so the record
 * logic runs in memory; time is simulated (1 ms per Check), nothing sleeps.
 */
class StoreCallsPerCheckTest {
  private static final int CHECKS = 20_000;
  private static final int USERS = 50;
  private static final List<Limit> USER_LIMITS =
      List.of(
          new Limit(Window.parse("5m"), Unit.TOKENS, 1_000_000_000),
          new Limit(Window.parse("1d"), Unit.TOKENS, 10_000_000_000L));
  private static final List<Limit> GLOBAL_LIMITS =
      List.of(new Limit(Window.parse("1m"), Unit.TOKENS, 1_000_000_000_000L));

  @Test
  void leasesCutTheStoreCallsOfACheck() throws Exception {
    Counts without = run(false);
    Counts with = run(true);
    System.out.printf(
        "store calls per Check, %d Checks at 1000/s over %d users + global:%n"
            + "  without leases: %.2f (reserve %.2f, adjust %.2f, hold+take %.2f)%n"
            + "  with leases:    %.2f (reserve %.2f, adjust %.2f, hold+take %.2f)%n",
        CHECKS,
        USERS,
        without.perCheck(),
        without.reserves.sum() / (double) CHECKS,
        without.adjusts.sum() / (double) CHECKS,
        without.held.sum() / (double) CHECKS,
        with.perCheck(),
        with.reserves.sum() / (double) CHECKS,
        with.adjusts.sum() / (double) CHECKS,
        with.held.sum() / (double) CHECKS);
    assertEquals(with.usedGlobal, without.usedGlobal, "the same usage either way");
    assertTrue(with.perCheck() < without.perCheck() - 1, with.perCheck() + " calls per Check");
  }

  private static Counts run(boolean leases) throws Exception {
    long t0 = Instant.parse("2026-11-22T12:00:00Z").toEpochMilli();
    AtomicLong millis = new AtomicLong(t0);
    Clock clock = new ManualClock(millis);
    InMemoryQuotaStore records = new InMemoryQuotaStore();
    Counts counts = new Counts(records);
    QuotaStore store = leases ? new LeasingQuotaStore(counts, clock, () -> 3) : counts;
    QuotaService quotas = new QuotaService(store, clock, Duration.ofSeconds(60));
    List<CompletableFuture<?>> settled = new ArrayList<>();
    for (int i = 0; i < CHECKS; i++) {
      millis.incrementAndGet();
      String user = "u" + (i % USERS);
      List<QuotaTarget> targets =
          List.of(
              new QuotaTarget(Scope.USER, QuotaTarget.keyOf(Scope.USER, user), USER_LIMITS, true),
              new QuotaTarget(Scope.GLOBAL, "global", GLOBAL_LIMITS, true));
      ReserveResult r =
          quotas
              .reserve(targets, new Charge(300, 0, 1))
              .toCompletableFuture()
              .get(10, TimeUnit.SECONDS);
      assertInstanceOf(ReserveResult.Reserved.class, r);
      Reservation reservation = ((ReserveResult.Reserved) r).reservation();
      settled.add(quotas.settle(reservation.id(), new Charge(120, 0, 1)).toCompletableFuture());
    }
    CompletableFuture.allOf(settled.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    store.close();
    KeyReserveResult.Granted g =
        (KeyReserveResult.Granted)
            records
                .reserve("global", GLOBAL_LIMITS, Charge.ZERO, millis.get(), true)
                .toCompletableFuture()
                .join();
    counts.usedGlobal = g.windows().get(0).used();
    records.close();
    return counts;
  }

  /** Counts the calls that reach the store. */
  private static final class Counts extends ForwardingQuotaStore {
    final LongAdder reserves = new LongAdder();
    final LongAdder adjusts = new LongAdder();
    final LongAdder held = new LongAdder();
    long usedGlobal;

    Counts(QuotaStore d) {
      super(d);
    }

    double perCheck() {
      return (reserves.sum() + adjusts.sum() + held.sum()) / (double) CHECKS;
    }

    @Override
    public CompletionStage<KeyReserveResult> reserve(
        String key, List<Limit> limits, Charge charge, long now, boolean e) {
      reserves.increment();
      return super.reserve(key, limits, charge, now, e);
    }

    @Override
    public CompletionStage<Void> adjust(String key, Charge r, Charge a, long at, long now) {
      adjusts.increment();
      return super.adjust(key, r, a, at, now);
    }

    @Override
    public CompletionStage<Void> hold(Reservation r, long expiresAt, long now) {
      held.increment();
      return super.hold(r, expiresAt, now);
    }

    @Override
    public CompletionStage<Reservation> take(String id) {
      held.increment();
      return super.take(id);
    }

    @Override
    public void close() {
      // the records are read after
    }
  }
}
