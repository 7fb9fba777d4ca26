package dev.tollgate.quota;

import java.math.BigDecimal;
import java.math.RoundingMode;

/** Conversions between US dollars and the nano-USD the quota domain counts in. */
public final class Money {
  private static final BigDecimal NANOS_PER_USD = BigDecimal.valueOf(1_000_000_000L);
  private static final BigDecimal MAX_NANOS = BigDecimal.valueOf(Long.MAX_VALUE);

  private Money() {}

  /** Dollars to nano-USD, rounded up. */
  public static long toNanoUsd(BigDecimal usd) {
    return usd.multiply(NANOS_PER_USD).setScale(0, RoundingMode.CEILING).longValueExact();
  }

  /** Nano-USD to dollars. */
  public static BigDecimal toUsd(long nanoUsd) {
    return BigDecimal.valueOf(nanoUsd, 9).stripTrailingZeros();
  }

  /**
   * The price of {@code tokens} at {@code usdPerMillionTokens}, in nano-USD, rounded up: one token
   * at $1 per million tokens costs 1000 nano-USD. A price beyond {@code Long.MAX_VALUE} nano-USD
   * (absurd token counts) saturates there rather than overflowing.
   */
  public static long priceNanoUsd(long tokens, BigDecimal usdPerMillionTokens) {
    if (tokens == 0 || usdPerMillionTokens == null || usdPerMillionTokens.signum() == 0) {
      return 0;
    }
    BigDecimal nanos =
        usdPerMillionTokens
            .multiply(BigDecimal.valueOf(tokens))
            .multiply(BigDecimal.valueOf(1000))
            .setScale(0, RoundingMode.CEILING);
    return nanos.compareTo(MAX_NANOS) > 0 ? Long.MAX_VALUE : nanos.longValueExact();
  }

  /**
   * {@code a + b} for non-negative amounts (prices, token counts), saturating at {@code
   * Long.MAX_VALUE}.
   */
  public static long addSaturated(long a, long b) {
    long r = a + b;
    return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
  }

  /** {@code $1.234567} style, for messages. */
  public static String format(long nanoUsd) {
    return "$"
        + toUsd(nanoUsd)
            .setScale(Math.max(2, toUsd(nanoUsd).scale()), RoundingMode.UNNECESSARY)
            .toPlainString();
  }
}
