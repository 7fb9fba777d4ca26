package dev.tollgate.quota;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class UsageRecordTest {
  private static final long T0 = 1_780_000_000_000L;
  private static final Limit FIVE_MIN_TOKENS = new Limit(Window.parse("5m"), Unit.TOKENS, 1000);
  private static final Limit FIVE_MIN_USD = new Limit(Window.parse("5m"), Unit.NANO_USD, 10_000);
  private static final Limit MONTH_USD = new Limit(Window.month(), Unit.NANO_USD, 1_000_000);

  @Test
  void aWindowCountsOnlyTheUnitsOfItsLimits() {
    UsageRecord r = UsageRecord.empty();
    r.reserve(List.of(FIVE_MIN_TOKENS, MONTH_USD), new Charge(100, 2000), T0, true);
    UsageRecord.State s = r.state();
    assertArrayEquals(new byte[] {UsageRecord.UNIT_TOKENS, UsageRecord.UNIT_NANO_USD}, s.units());
    assertEquals(UsageRecord.BUCKETS, s.tokens().length);
    assertEquals(1, s.nanoUsd().length);
    // the USD of the charge was not recorded in the 5m window, nor the tokens in the month
    List<WindowStatus> st =
        r.status(
            List.of(FIVE_MIN_USD, new Limit(Window.month(), Unit.TOKENS, 5), MONTH_USD), T0 + 1);
    assertEquals(0, st.get(0).used());
    assertEquals(10_000, st.get(0).remaining());
    assertEquals(0, st.get(1).used());
    assertEquals(2000, st.get(2).used());
  }

  @Test
  void aLimitOfANewUnitCountsFromThenOn() {
    UsageRecord r = UsageRecord.empty();
    r.reserve(List.of(FIVE_MIN_TOKENS), new Charge(100, 2000), T0, true);
    List<Limit> both = List.of(FIVE_MIN_TOKENS, FIVE_MIN_USD);
    var granted = r.reserve(both, new Charge(50, 9000), T0 + 1000, true);
    assertInstanceOf(KeyReserveResult.Granted.class, granted);
    List<WindowStatus> st = r.status(both, T0 + 2000);
    assertEquals(150, st.get(0).used());
    assertEquals(9000, st.get(1).used());
    // now enforced: 9000 + 2000 > 10000
    var refused = r.reserve(both, new Charge(1, 2000), T0 + 3000, true);
    assertInstanceOf(KeyReserveResult.Refused.class, refused);
    assertArrayEquals(new byte[] {UsageRecord.UNITS_BOTH}, r.state().units());
    // adjustments land in both units
    r.adjust(new Charge(50, 9000), new Charge(40, 8000), T0 + 1000, T0 + 4000);
    st = r.status(both, T0 + 4000);
    assertEquals(140, st.get(0).used());
    assertEquals(8000, st.get(1).used());
  }

  @Test
  void twoLimitsOfOneWindowMakeOneWindow() {
    UsageRecord r = UsageRecord.empty();
    List<Limit> limits = List.of(FIVE_MIN_TOKENS, FIVE_MIN_USD, MONTH_USD);
    r.reserve(limits, new Charge(10, 20), T0, true);
    UsageRecord.State s = r.state();
    assertEquals(2, s.names().length);
    assertArrayEquals(new byte[] {UsageRecord.UNITS_BOTH, UsageRecord.UNIT_NANO_USD}, s.units());
    assertEquals(UsageRecord.BUCKETS, s.tokens().length);
    assertEquals(UsageRecord.BUCKETS + 1, s.nanoUsd().length);
    UsageRecord back = UsageRecord.fromState(s);
    assertEquals(r.status(limits, T0 + 5), back.status(limits, T0 + 5));
    assertTrue(back.isEmpty(T0 + 40L * 24 * 3600 * 1000));
  }

  @Test
  void stateMustFitTogether() {
    UsageRecord r = UsageRecord.empty();
    r.reserve(List.of(FIVE_MIN_TOKENS, MONTH_USD), new Charge(1, 1), T0, true);
    UsageRecord.State s = r.state();
    assertThrows(
        IllegalArgumentException.class,
        () ->
            UsageRecord.fromState(
                new UsageRecord.State(
                    s.names(),
                    s.lengthMillis(),
                    s.month(),
                    s.head(),
                    UsageRecord.State.bothUnits(2),
                    s.tokens(),
                    s.nanoUsd(),
                    s.lastTouchedMillis())));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            UsageRecord.fromState(
                new UsageRecord.State(
                    s.names(),
                    s.lengthMillis(),
                    s.month(),
                    s.head(),
                    new byte[] {4, 2},
                    s.tokens(),
                    s.nanoUsd(),
                    s.lastTouchedMillis())));
  }
}
