package dev.tollgate.quota;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

class MoneyTest {
  @Test
  void nanoUsdReadAsDollarsWithoutTrailingZeros() {
    assertEquals("0", Money.toUsd(0).toPlainString());
    assertEquals("0.000000001", Money.toUsd(1).toPlainString());
    assertEquals("0.0000015", Money.toUsd(1_500).toPlainString());
    assertEquals("1", Money.toUsd(1_000_000_000L).toPlainString());
    assertEquals("12.34", Money.toUsd(12_340_000_000L).toPlainString());
    assertEquals("9223372036.854775807", Money.toUsd(Long.MAX_VALUE).toPlainString());
  }

  @Test
  void dollarsAndNanoUsdRoundTrip() {
    for (long n : new long[] {0, 1, 999, 1_000, 123_456_789, 5_000_000_000L, Long.MAX_VALUE}) {
      assertEquals(n, Money.toNanoUsd(Money.toUsd(n)));
      assertEquals(
          BigDecimal.valueOf(n).divide(BigDecimal.valueOf(1_000_000_000L)).stripTrailingZeros(),
          Money.toUsd(n));
    }
    assertEquals("$1.50", Money.format(1_500_000_000L));
  }
}
