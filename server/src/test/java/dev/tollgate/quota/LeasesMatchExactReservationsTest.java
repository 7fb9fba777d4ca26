package dev.tollgate.quota;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.testsupport.ManualClock;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The same random stream of reservations and settlements (none above what was reserved) through
 * leases and straight to a record: every decision is the same, and once the slices are given back
 * both records are equal at every later time — each admission from a slice counted in the bucket it
 * would have been counted in alone, windows of 1 s (buckets of one granule), 10 s and a month.
 */
class LeasesMatchExactReservationsTest {
  private static final long T0 = Instant.parse("2026-11-30T23:59:50Z").toEpochMilli();
  private static final List<Limit> LIMITS =
      List.of(
          new Limit(Window.parse("1s"), Unit.TOKENS, 30_000),
          new Limit(Window.parse("10s"), Unit.TOKENS, 120_000),
          new Limit(Window.parse("1m"), Unit.REQUESTS, 6_000),
          new Limit(Window.month(), Unit.TOKENS, 400_000));

  private record Admitted(Charge charge, long at) {}

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3})
  void everyDecisionAndTheRecordAreTheSame(long seed) {
    AtomicLong millis = new AtomicLong(T0);
    Clock clock = new ManualClock(millis);
    InMemoryQuotaStore leasedRecords = new InMemoryQuotaStore();
    InMemoryQuotaStore exact = new InMemoryQuotaStore();
    // ticks come from the test, every 20 ms of the test's clock: the run does not depend on how
    // the machine schedules a background thread
    LeasingQuotaStore leased =
        new LeasingQuotaStore(new Kept(leasedRecords), clock, () -> 1, TimeUnit.DAYS.toMillis(1));
    String key = "global";
    Random random = new Random(seed);
    List<Admitted> open = new ArrayList<>();
    int granted = 0;
    int refused = 0;
    for (int step = 0; step < 6000; step++) {
      long before = millis.get();
      long now = millis.addAndGet(random.nextInt(11));
      if (now / 20 != before / 20) {
        leased.tick();
      }
      if (open.isEmpty() || random.nextInt(10) < 7) {
        Charge c = new Charge(1 + random.nextInt(300), 0, 1);
        KeyReserveResult a = leased.reserve(key, LIMITS, c, now, true).toCompletableFuture().join();
        KeyReserveResult b = exact.reserve(key, LIMITS, c, now, true).toCompletableFuture().join();
        assertEquals(
            b.getClass(), a.getClass(), "step " + step + ": " + c + " at " + (now - T0) + " ms");
        if (a instanceof KeyReserveResult.Granted) {
          open.add(new Admitted(c, now));
          granted++;
        } else {
          refused++;
        }
      } else {
        Admitted s = open.remove(random.nextInt(open.size()));
        Charge actual = new Charge(random.nextInt((int) s.charge().tokens() + 1), 0, 1);
        leased.adjust(key, s.charge(), actual, s.at(), now);
        exact.adjust(key, s.charge(), actual, s.at(), now).toCompletableFuture().join();
      }
    }
    leased.close();
    assertTrue(leased.localAdmissions() > granted / 4, leased.localAdmissions() + " from slices");
    assertTrue(refused > 0, "the stream reached the limits");
    System.out.printf(
        "seed %d: %d granted (%d from %d slices), %d refused%n",
        seed, granted, leased.localAdmissions(), leased.leasesTaken(), refused);
    long end = millis.get();
    for (long later : new long[] {0, 40, 300, 1000, 4000, 9_000, 30_000, 60_000}) {
      assertEquals(
          exact.status(key, LIMITS, end + later).toCompletableFuture().join(),
          leasedRecords.status(key, LIMITS, end + later).toCompletableFuture().join(),
          (end - T0) + " + " + later + " ms");
    }
    leasedRecords.close();
    exact.close();
  }

  /** The records outlive the leases: read after. */
  private static final class Kept extends ForwardingQuotaStore {
    Kept(QuotaStore d) {
      super(d);
    }

    @Override
    public void close() {}
  }
}
