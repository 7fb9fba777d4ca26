package dev.tollgate.quota;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The sparse {@link UsageRecord} answers exactly as the dense ring it replaced ({@link
 * DenseUsageRecord}): the same verdicts, statuses, waits and state after every step of random
 * sequences of reserves, adjustments and reads over windows of every kind and units, with charges
 * that saturate, times that jump and go back, and round trips through the state.
 */
class UsageRecordEquivalenceTest {
  private static final long T0 = 1_780_000_000_000L;
  private static final long DAY = 24 * 3600 * 1000L;

  private static final List<Limit> LIMITS =
      List.of(
          new Limit(Window.parse("5m"), Unit.TOKENS, 20_000),
          new Limit(Window.parse("5m"), Unit.NANO_USD, 3_000_000),
          new Limit(Window.parse("1d"), Unit.TOKENS, 200_000),
          new Limit(Window.month(), Unit.NANO_USD, 5_000_000_000L),
          new Limit(Window.parse("1s"), Unit.REQUESTS, 3),
          new Limit(Window.parse("1h"), Unit.REQUESTS, 50),
          new Limit(Window.parse("30s"), Unit.TOKENS, Long.MAX_VALUE - 5),
          new Limit(Window.month(), Unit.TOKENS, 1_000_000),
          new Limit(Window.parse("1d"), Unit.NANO_USD, 40, Limit.Mode.SHADOW, null));

  @Test
  void randomSequencesGiveTheSameAnswersAndState() {
    for (int seed = 0; seed < 300; seed++) {
      run(new Random(seed), seed);
    }
  }

  @Test
  void aRingKeepsOnlyItsNonZeroBucketsAndRecordsShareTheirWindows() {
    List<Limit> defaults = List.of(LIMITS.get(0), LIMITS.get(2), LIMITS.get(3));
    UsageRecord r = UsageRecord.empty();
    r.reserve(defaults, new Charge(100, 1000), T0, true);
    // 5m and 1d: head, mask, one bucket; month: period start, one counter
    assertEquals(3 + 3 + 2, r.storedLongs());
    r.reserve(defaults, new Charge(100, 1000), T0 + 20_000, true);
    assertEquals(3 + 1 + 3 + 2, r.storedLongs()); // a second 15 s bucket of the 5m window
    r.adjust(new Charge(100, 1000), Charge.ZERO, T0 + 20_000, T0 + 21_000);
    assertEquals(3 + 3 + 2, r.storedLongs()); // corrected to zero: the bucket leaves
    assertEquals(
        List.of(100L, 100L, 1000L),
        r.status(defaults, T0 + 21_000).stream().map(WindowStatus::used).toList());
    r.status(defaults, T0 + 2 * DAY);
    assertEquals(2 + 2 + 2, r.storedLongs()); // rolled off: idle rings
    UsageRecord other = UsageRecord.empty();
    other.reserve(defaults, new Charge(1, 1), T0, true);
    assertSame(r.layout(), other.layout());
    assertSame(r.layout(), UsageRecord.fromState(r.state()).layout());
  }

  private static void run(Random rnd, int seed) {
    UsageRecord sparse = UsageRecord.empty();
    DenseUsageRecord dense = DenseUsageRecord.fromState(sparse.state());
    long now = T0 + rnd.nextInt(1_000_000);
    List<long[]> reservedAt = new ArrayList<>();
    for (int step = 0; step < 400; step++) {
      String at = "seed " + seed + " step " + step;
      now = next(rnd, now);
      List<Limit> limits = pick(rnd);
      switch (rnd.nextInt(10)) {
        case 0, 1, 2, 3, 4 -> {
          Charge c = charge(rnd);
          boolean enforce = rnd.nextInt(5) != 0;
          assertEquals(
              dense.reserve(limits, c, now, enforce), sparse.reserve(limits, c, now, enforce), at);
          reservedAt.add(new long[] {now, c.tokens(), c.nanoUsd(), c.requests()});
        }
        case 5, 6 -> {
          if (!reservedAt.isEmpty()) {
            long[] r = reservedAt.get(rnd.nextInt(reservedAt.size()));
            Charge reserved = new Charge(r[1], r[2], r[3]);
            Charge actual = rnd.nextBoolean() ? Charge.ZERO : charge(rnd);
            dense.adjust(reserved, actual, r[0], now);
            sparse.adjust(reserved, actual, r[0], now);
          }
        }
        case 7 -> assertEquals(dense.status(limits, now), sparse.status(limits, now), at);
        case 8 -> assertEquals(dense.isEmpty(now), sparse.isEmpty(now), at);
        default -> {
          sparse = UsageRecord.fromState(sparse.state());
          dense = DenseUsageRecord.fromState(dense.state());
        }
      }
      assertSameState(dense.state(), sparse.state(), at);
      assertEquals(dense.longestWindow(), sparse.longestWindow(), at);
      assertEquals(dense.lastTouchedMillis(), sparse.lastTouchedMillis(), at);
    }
  }

  private static long next(Random rnd, long now) {
    return switch (rnd.nextInt(12)) {
      case 0 -> now - rnd.nextInt(60_000); // a member whose clock is behind
      case 1 -> now + rnd.nextInt(3) * DAY; // a jump past whole windows
      case 2 -> now + rnd.nextInt(40) * DAY; // into another month
      case 3, 4 -> now;
      default -> now + rnd.nextInt(40_000);
    };
  }

  private static List<Limit> pick(Random rnd) {
    List<Limit> out = new ArrayList<>();
    int n = 1 + rnd.nextInt(4);
    for (int i = 0; i < n; i++) {
      // the first limits more often: the default tier's windows are the common case
      out.add(LIMITS.get(rnd.nextBoolean() ? rnd.nextInt(4) : rnd.nextInt(LIMITS.size())));
    }
    return out;
  }

  private static Charge charge(Random rnd) {
    return switch (rnd.nextInt(30)) {
      case 0 -> new Charge(Long.MAX_VALUE / 2 + rnd.nextInt(1000), Long.MAX_VALUE - 1, 1);
      case 1 -> Charge.ZERO;
      case 2 -> new Charge(0, 0, 1);
      default -> new Charge(rnd.nextInt(8000), rnd.nextInt(2_000_000), rnd.nextInt(2));
    };
  }

  private static void assertSameState(UsageRecord.State d, UsageRecord.State s, String at) {
    assertArrayEquals(d.names(), s.names(), at);
    assertArrayEquals(d.lengthMillis(), s.lengthMillis(), at);
    assertArrayEquals(d.month(), s.month(), at);
    assertArrayEquals(d.head(), s.head(), at);
    assertArrayEquals(d.units(), s.units(), at);
    assertArrayEquals(d.tokens(), s.tokens(), at);
    assertArrayEquals(d.nanoUsd(), s.nanoUsd(), at);
    assertArrayEquals(d.requests(), s.requests(), at);
    assertEquals(d.lastTouchedMillis(), s.lastTouchedMillis(), at);
  }
}
