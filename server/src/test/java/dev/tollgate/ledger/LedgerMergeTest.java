package dev.tollgate.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Daily aggregates add up, keys round-trip, the in-memory ledger keeps its retention. */
class LedgerMergeTest {
  private static final LocalDate DAY = LocalDate.parse("2026-11-30");

  @Test
  void plusAddsEveryCounterAndMergesRefusals() {
    DailyUsage a = new DailyUsage(2, 1, 100, 40, 30, 5_000, Map.of("user:1d", 1L, "global:1m", 2L));
    DailyUsage b = new DailyUsage(1, 0, 10, 0, 3, 700, Map.of("user:1d", 4L, "key:month", 1L));
    assertEquals(
        new DailyUsage(
            3, 1, 110, 40, 33, 5_700, Map.of("user:1d", 5L, "global:1m", 2L, "key:month", 1L)),
        a.plus(b));
    assertEquals(a.plus(b), b.plus(a));
    assertEquals(a, a.plus(DailyUsage.ZERO));
    assertEquals(a, DailyUsage.ZERO.plus(a));
  }

  @Test
  void plusIsAssociative() {
    DailyUsage a = DailyUsage.settled(10, 2, 5, 99);
    DailyUsage b = DailyUsage.refunded();
    DailyUsage c = DailyUsage.refused("user", "5m");
    assertEquals(a.plus(b).plus(c), a.plus(b.plus(c)));
    assertEquals(new DailyUsage(2, 1, 10, 2, 5, 99, Map.of("user:5m", 1L)), a.plus(b).plus(c));
    assertEquals(1, c.refusalCount());
  }

  @Test
  void sumsSaturateRatherThanOverflow() {
    DailyUsage big = new DailyUsage(0, 0, Long.MAX_VALUE - 1, 0, 0, Long.MAX_VALUE, Map.of());
    DailyUsage sum = big.plus(DailyUsage.settled(5, 0, 0, 5));
    assertEquals(Long.MAX_VALUE, sum.inputTokens());
    assertEquals(Long.MAX_VALUE, sum.nanoUsd());
    assertEquals(1, sum.requests());
  }

  @Test
  void countersAreNeverNegative() {
    assertThrows(IllegalArgumentException.class, () -> new DailyUsage(-1, 0, 0, 0, 0, 0, Map.of()));
    assertEquals(DailyUsage.settled(0, 0, 0, 0), DailyUsage.settled(-3, -1, -2, -9));
  }

  @Test
  void keysRoundTripThroughTheirIdAndUseTheUtcDay() {
    LedgerKey k = new LedgerKey(DAY, "pro|x", "ali ce%", "web", "gpt-4o");
    assertEquals(k, LedgerKey.parse(k.id()));
    assertEquals("2026-11-30|pro%7Cx|ali+ce%25|web|gpt-4o", k.id());
    assertEquals(
        DAY,
        LedgerKey.of(Instant.parse("2026-11-30T23:59:59.999Z").toEpochMilli(), "t", "u", "k", "m")
            .day());
    assertEquals(
        DAY.plusDays(1),
        LedgerKey.of(Instant.parse("2026-12-01T00:00:00Z").toEpochMilli(), "t", "u", "k", "m")
            .day());
    assertThrows(IllegalArgumentException.class, () -> LedgerKey.parse("2026-11-30|a|b"));
  }

  @Test
  void theInMemoryLedgerReadsOneTierOverAPeriod() {
    InMemoryUsageLedger ledger =
        new InMemoryUsageLedger(Clock.fixed(Instant.parse("2026-12-02T10:00:00Z"), ZoneOffset.UTC));
    ledger.settled(new LedgerKey(DAY, "pro", "bob", "web", "m"), 10, 0, 5, 100);
    ledger.settled(new LedgerKey(DAY, "pro", "alice", "web", "m"), 1, 0, 1, 1);
    ledger.settled(new LedgerKey(DAY, "pro", "alice", "web", "m"), 2, 1, 2, 2);
    ledger.refunded(new LedgerKey(DAY.plusDays(1), "pro", "alice", "web", "m"));
    ledger.refused(new LedgerKey(DAY, "free", "alice", "web", "m"), "user", "1d");
    List<DailyUsageRow> rows = ledger.read("pro", DAY, DAY);
    assertEquals(
        List.of(
            new DailyUsageRow(
                new LedgerKey(DAY, "pro", "alice", "web", "m"),
                new DailyUsage(2, 0, 3, 1, 3, 3, Map.of())),
            new DailyUsageRow(
                new LedgerKey(DAY, "pro", "bob", "web", "m"), DailyUsage.settled(10, 0, 5, 100))),
        rows);
    assertEquals(3, ledger.read("pro", DAY, DAY.plusDays(5)).size());
    assertEquals(Map.of("user:1d", 1L), ledger.read("free", DAY, DAY).get(0).usage().refusals());
  }

  @Test
  void theInMemoryLedgerForgetsDaysPastTheRetention() {
    AtomicLong now = new AtomicLong(Instant.parse("2026-11-30T10:00:00Z").toEpochMilli());
    Clock clock =
        new Clock() {
          @Override
          public Instant instant() {
            return Instant.ofEpochMilli(now.get());
          }

          @Override
          public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
          }

          @Override
          public Clock withZone(java.time.ZoneId zone) {
            return this;
          }
        };
    InMemoryUsageLedger ledger = new InMemoryUsageLedger(clock, Duration.ofDays(10));
    ledger.settled(new LedgerKey(DAY.minusDays(11), "t", "u", "k", "m"), 1, 0, 1, 1);
    ledger.settled(new LedgerKey(DAY.minusDays(10), "t", "u", "k", "m"), 1, 0, 1, 1);
    assertEquals(2, ledger.size());
    now.addAndGet(Duration.ofMinutes(2).toMillis()); // the sweep runs at most once a minute
    ledger.settled(new LedgerKey(DAY, "t", "u", "k", "m"), 1, 0, 1, 1);
    assertEquals(
        List.of(DAY.minusDays(10), DAY),
        ledger.read("t", DAY.minusDays(30), DAY).stream().map(r -> r.key().day()).toList());
  }

  @Test
  void aTagRoundTripsAndStaysOutOfTheTicket() {
    LedgerTag tag = new LedgerTag("pro", "a|b", "web", "gpt-4o", 42);
    assertEquals(tag, LedgerTag.parse(tag.encode()));
    assertEquals(null, LedgerTag.parse(null));
    assertEquals(null, LedgerTag.parse("l1|x"));
    assertEquals(
        new LedgerKey(DAY, "pro", "a|b", "web", "gpt-4o"),
        tag.key(Instant.parse("2026-11-30T08:00:00Z").toEpochMilli()));
    dev.tollgate.quota.Reservation r =
        new dev.tollgate.quota.Reservation(
            "id1", 5, new dev.tollgate.quota.Charge(1, 2), List.of("user:a", "t=x"), tag.encode());
    assertEquals(r, dev.tollgate.quota.Reservation.decode(r.encodeHeld()));
    dev.tollgate.quota.Reservation plain = dev.tollgate.quota.Reservation.decode(r.encode());
    assertEquals(null, plain.tag());
    assertEquals(r.keys(), plain.keys());
    dev.tollgate.quota.Reservation noKeys =
        new dev.tollgate.quota.Reservation(
            "id2", 5, dev.tollgate.quota.Charge.ZERO, List.of(), "tag");
    assertEquals(noKeys, dev.tollgate.quota.Reservation.decode(noKeys.encodeHeld()));
  }
}
