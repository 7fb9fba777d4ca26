package dev.tollgate.analytics;

import java.math.BigDecimal;

/** Rounding up to numbers people read at a glance. */
public final class Readable {
  /** The mantissas of {@link #ceil}: 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 (× 10^k). */
  static final double[] STEPS = {1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8};

  /** The mantissas of {@link #binWidth}: 1, 2, 2.5, 5 (× 10^k). */
  static final double[] BIN_STEPS = {1, 2, 2.5, 5};

  private Readable() {}

  /** The smallest number of the form m × 10^k (m in {@link #STEPS}) at least {@code x} > 0. */
  public static double ceil(double x) {
    return ceil(x, STEPS);
  }

  /**
   * A histogram bin width at least {@code x}: 1, 2, 2.5 or 5 × 10^k, a whole number at least 1 (2.5
   * only from 25 up).
   */
  public static long binWidth(double x) {
    if (x <= 1) {
      return 1;
    }
    double w = ceil(x, BIN_STEPS);
    return (long) Math.ceil(w - 1e-9);
  }

  private static double ceil(double x, double[] steps) {
    if (!(x > 0) || Double.isInfinite(x)) {
      throw new IllegalArgumentException("x: " + x + " (expected: > 0)");
    }
    int k = (int) Math.floor(Math.log10(x));
    double m = x / Math.pow(10, k);
    // log10 may be off by one at exact powers of ten
    if (m < 1 - 1e-12) {
      k--;
      m = x / Math.pow(10, k);
    } else if (m >= 10 * (1 - 1e-12)) {
      k++;
      m = x / Math.pow(10, k);
    }
    for (double s : steps) {
      if (s >= m * (1 - 1e-12)) {
        if (k >= 0 && s == 2.5 && k == 0 && steps == BIN_STEPS) {
          return 5; // a bin width is a whole number of tokens
        }
        return BigDecimal.valueOf(s).scaleByPowerOfTen(k).doubleValue();
      }
    }
    return BigDecimal.ONE.scaleByPowerOfTen(k + 1).doubleValue();
  }
}
