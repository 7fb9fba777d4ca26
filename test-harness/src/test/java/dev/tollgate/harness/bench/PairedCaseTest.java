package dev.tollgate.harness.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The summary of alternating baseline and Tollgate intervals: medians and the ratio's spread. */
class PairedCaseTest {

  /** {@code ok} requests in one second, at {@code cpuMicros} of server CPU each. */
  static Measurement second(long ok, double cpuMicros) {
    return new Measurement(
        ok, 0, 1.0, 100, 200, 300, 400, (long) (ok * cpuMicros * 1e3), 1, Map.of(), null);
  }

  @Test
  void theRatioIsTheMedianOfThePairsAndTheSpreadHalfTheirRange() {
    PairedCase c =
        new PairedCase(
            Workload.A,
            1,
            List.of(second(40_000, 40), second(42_000, 41), second(70_000, 30)),
            List.of(second(16_000, 120), second(21_000, 118), second(21_000, 110)));
    assertEquals(List.of(0.4, 0.5, 0.3), c.ratios());
    assertEquals(0.4, c.ratio(), 1e-12);
    assertEquals(0.3, c.ratioMin(), 1e-12);
    assertEquals(0.5, c.ratioMax(), 1e-12);
    assertEquals(25.0, c.ratioSpreadPercent(), 1e-9, "(0.5 - 0.3) / 2 / 0.4");
    assertEquals(42_000, c.baselinePerSecond(), 1e-9);
    assertEquals(21_000, c.tollgatePerSecond(), 1e-9);
    assertEquals(40, c.baselineCpuMicros(), 1e-9);
    assertEquals(118, c.tollgateCpuMicros(), 1e-9);
  }

  @Test
  void anEvenCountTakesTheMeanOfTheMiddleTwo() {
    assertEquals(2.5, PairedCase.median(List.of(4.0, 1.0, 3.0, 2.0)), 1e-12);
    assertEquals(7.0, PairedCase.median(List.of(7.0)), 1e-12);
    assertEquals(1.5, PairedCase.median(List.of(1.0, Double.NaN, 2.0)), 1e-12, "NaN left out");
    assertTrue(Double.isNaN(PairedCase.median(List.of(Double.NaN))));
  }

  @Test
  void aPairWhoseBaselineDidNoRequestIsLeftOutOfTheMedian() {
    PairedCase c =
        new PairedCase(
            Workload.A,
            1,
            List.of(second(0, 1), second(10, 1), second(10, 1)),
            List.of(second(5, 1), second(5, 1), second(6, 1)));
    assertTrue(Double.isNaN(c.ratios().get(0)));
    assertEquals(0.55, c.ratio(), 1e-12);
    assertEquals(0.5, c.ratioMin(), 1e-12);
    assertEquals(0.6, c.ratioMax(), 1e-12);
  }

  @Test
  void pairsAlternateTheirOrder() {
    assertTrue(PairedCase.baselineFirst(0));
    assertFalse(PairedCase.baselineFirst(1));
    assertTrue(PairedCase.baselineFirst(2));
  }

  @Test
  void unpairedIntervalsAreRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new PairedCase(Workload.A, 1, List.of(second(1, 1)), List.of()));
    assertEquals(
        "pairs: 1 baseline and 0 Tollgate intervals (expected: as many of each, at least one)",
        e.getMessage());
  }

  @Test
  void cpuPerRequestIsUnknownWithoutTheProcessTimeOrARequest() {
    assertTrue(
        Double.isNaN(
            new Measurement(0, 0, 1, 0, 0, 0, 0, 5, 5, Map.of(), null)
                .serverCpuMicrosPerRequest()));
    assertTrue(
        Double.isNaN(
            new Measurement(9, 0, 1, 0, 0, 0, 0, -1, 5, Map.of(), null)
                .serverCpuMicrosPerRequest()));
    assertEquals(
        2.5,
        new Measurement(4, 0, 1, 0, 0, 0, 0, 10_000, 5, Map.of(), null).serverCpuMicrosPerRequest(),
        1e-12);
  }
}
