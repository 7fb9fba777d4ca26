package dev.tollgate.harness.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * One case against one cluster size, measured in pairs of intervals — the no-op baseline's and
 * Tollgate's at the same load, in alternating order (B T, T B, B T, ...) — and summed up by
 * medians: the ratio of each pair's requests/s, its spread over the pairs, and each server's
 * requests/s and CPU time per request.
 */
record PairedCase(
    Workload workload, int members, List<Measurement> baseline, List<Measurement> tollgate) {

  PairedCase {
    if (baseline.size() != tollgate.size() || baseline.isEmpty()) {
      throw new IllegalArgumentException(
          "pairs: "
              + baseline.size()
              + " baseline and "
              + tollgate.size()
              + " Tollgate intervals (expected: as many of each, at least one)");
    }
    baseline = List.copyOf(baseline);
    tollgate = List.copyOf(tollgate);
  }

  /** Whether pair {@code i} (from 0) measures the baseline first: B T, T B, B T, ... */
  static boolean baselineFirst(int i) {
    return i % 2 == 0;
  }

  /** Tollgate's requests/s over the baseline's, pair by pair; NaN where the baseline did none. */
  List<Double> ratios() {
    List<Double> out = new ArrayList<>();
    for (int i = 0; i < baseline.size(); i++) {
      double b = baseline.get(i).perSecond();
      out.add(b > 0 ? tollgate.get(i).perSecond() / b : Double.NaN);
    }
    return out;
  }

  double ratio() {
    return median(ratios());
  }

  double ratioMin() {
    return ratios().stream().filter(v -> !v.isNaN()).mapToDouble(v -> v).min().orElse(Double.NaN);
  }

  double ratioMax() {
    return ratios().stream().filter(v -> !v.isNaN()).mapToDouble(v -> v).max().orElse(Double.NaN);
  }

  /** Half the pairs' range of ratios, as a percentage of their median: the ± of the ratio. */
  double ratioSpreadPercent() {
    return 100 * (ratioMax() - ratioMin()) / 2 / ratio();
  }

  double baselinePerSecond() {
    return median(baseline, Measurement::perSecond);
  }

  double tollgatePerSecond() {
    return median(tollgate, Measurement::perSecond);
  }

  double baselineCpuMicros() {
    return median(baseline, Measurement::serverCpuMicrosPerRequest);
  }

  double tollgateCpuMicros() {
    return median(tollgate, Measurement::serverCpuMicrosPerRequest);
  }

  private static double median(List<Measurement> ms, ToDoubleFunction<Measurement> f) {
    return median(ms.stream().map(m -> f.applyAsDouble(m)).toList());
  }

  /**
   * The median of the known values (NaN, an interval without requests, is left out; the mean of the
   * middle two for an even count); NaN if none is known.
   */
  static double median(List<Double> values) {
    List<Double> sorted = values.stream().filter(v -> !v.isNaN()).sorted().toList();
    int n = sorted.size();
    if (n == 0) {
      return Double.NaN;
    }
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
