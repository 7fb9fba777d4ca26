package dev.tollgate.analytics;

import java.util.Arrays;

/**
 * A distribution over samples, percentiles by nearest rank (always one of the samples).
 *
 * @param samples how many
 * @param p50 median
 * @param p90 90th percentile
 * @param p95 95th percentile
 * @param p99 99th percentile
 * @param max the largest
 * @param mean the arithmetic mean
 */
public record Distribution(
    long samples, double p50, double p90, double p95, double p99, double max, double mean) {
  /** No samples: every figure 0. */
  public static final Distribution EMPTY = new Distribution(0, 0, 0, 0, 0, 0, 0);

  /**
   * The distribution of the first {@code n} values, each divided by {@code divisor}.
   *
   * @param values samples (not modified)
   */
  public static Distribution of(long[] values, int n, double divisor) {
    if (n == 0) {
      return EMPTY;
    }
    long[] s = Arrays.copyOf(values, n);
    if (n > 200_000) {
      Arrays.parallelSort(s);
    } else {
      Arrays.sort(s);
    }
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += s[i];
    }
    return new Distribution(
        n,
        s[rank(50, n) - 1] / divisor,
        s[rank(90, n) - 1] / divisor,
        s[rank(95, n) - 1] / divisor,
        s[rank(99, n) - 1] / divisor,
        s[n - 1] / divisor,
        sum / n / divisor);
  }

  /**
   * The 1-based nearest rank of percentile {@code p} (in (0, 100]) among {@code n} > 0 samples:
   * {@code ceil(p/100 × n)}, at least 1.
   */
  public static int rank(double p, int n) {
    double x = p * n / 100.0;
    long r = (long) Math.ceil(x - 1e-9 * Math.max(1, x));
    return (int) Math.max(1, Math.min(n, r));
  }

  /** The nearest-rank percentile {@code p} of the first {@code n} values, sorted in place. */
  public static long percentile(long[] values, int n, double p) {
    Arrays.sort(values, 0, n);
    return values[rank(p, n) - 1];
  }
}
