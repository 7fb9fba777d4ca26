package dev.tollgate.stats;

import java.util.Arrays;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * A histogram over fixed upper bounds (a classic Prometheus histogram): one counter per bucket and
 * the sum of the values. Observing is a short scan of the bounds and two adder increments.
 */
public final class Histogram {
  /** Decision and store latencies, in seconds: 0.25 ms to 1 s. */
  public static final double[] LATENCY_SECONDS = {
    0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1
  };

  private final double[] upperBounds;
  private final LongAdder[] counts;
  private final DoubleAdder sum = new DoubleAdder();

  /**
   * @param upperBounds the buckets' inclusive upper bounds, ascending; a last bucket for everything
   *     above them is added
   */
  public Histogram(double[] upperBounds) {
    this.upperBounds = checked(upperBounds);
    this.counts = new LongAdder[upperBounds.length + 1];
    for (int i = 0; i < counts.length; i++) {
      counts[i] = new LongAdder();
    }
  }

  /** A copy of {@code upperBounds}, or an exception saying why they cannot be a histogram's. */
  static double[] checked(double[] upperBounds) {
    if (upperBounds.length == 0) {
      throw new IllegalArgumentException("upperBounds: empty (expected: at least one bound)");
    }
    for (int i = 1; i < upperBounds.length; i++) {
      if (!(upperBounds[i] > upperBounds[i - 1])) {
        throw new IllegalArgumentException(
            "upperBounds: " + Arrays.toString(upperBounds) + " (expected: strictly ascending)");
      }
    }
    return upperBounds.clone();
  }

  /** Counts one value. */
  public void observe(double value) {
    int i = 0;
    while (i < upperBounds.length && value > upperBounds[i]) {
      i++;
    }
    counts[i].increment();
    sum.add(value);
  }

  /** Counts one duration, given in nanoseconds, as seconds. */
  public void observeNanos(long nanos) {
    observe(nanos / 1e9);
  }

  /** The counts so far (taken bucket by bucket while values may still be counted). */
  public Snapshot snapshot() {
    long[] c = new long[counts.length];
    for (int i = 0; i < c.length; i++) {
      c[i] = counts[i].sum();
    }
    return new Snapshot(upperBounds.clone(), c, sum.sum());
  }

  /**
   * The state of a histogram.
   *
   * @param upperBounds the finite upper bounds
   * @param counts values per bucket (not cumulative), one more than {@code upperBounds}: the last
   *     is the values above every bound
   * @param sum the sum of the values
   */
  public record Snapshot(double[] upperBounds, long[] counts, double sum) {
    /** How many values were counted. */
    public long count() {
      long n = 0;
      for (long c : counts) {
        n += c;
      }
      return n;
    }
  }
}
