package dev.tollgate.stats;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Histograms over the same bounds by one label value, created at the value's first use. The caller
 * bounds the values ({@link MetricLabels}).
 */
public final class LabelledHistograms {
  private final double[] upperBounds;
  private final ConcurrentHashMap<String, Histogram> byLabel = new ConcurrentHashMap<>();

  /**
   * @param upperBounds every histogram's bounds (see {@link Histogram#Histogram(double[])})
   * @param labels label values to create at once, so that they are exported before their first use
   */
  public LabelledHistograms(double[] upperBounds, String... labels) {
    this.upperBounds = Histogram.checked(upperBounds);
    for (String l : labels) {
      get(l);
    }
  }

  /** The histogram of one label value. */
  public Histogram get(String label) {
    Histogram h = byLabel.get(label);
    return h != null ? h : byLabel.computeIfAbsent(label, k -> new Histogram(upperBounds));
  }

  /** Every label value seen so far with its histogram's counts, by label value. */
  public Map<String, Histogram.Snapshot> snapshots() {
    Map<String, Histogram.Snapshot> m = new TreeMap<>();
    byLabel.forEach((k, h) -> m.put(k, h.snapshot()));
    return m;
  }
}
