package dev.tollgate.stats;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters by up to three label values (unused positions are {@code ""}). A combination seen before
 * costs three map look-ups and no allocation. The caller bounds the values ({@link MetricLabels}):
 * every distinct combination is kept for the life of the process.
 */
public final class LabelledCounters {
  private final ConcurrentHashMap<
          String, ConcurrentHashMap<String, ConcurrentHashMap<String, LongAdder>>>
      cells = new ConcurrentHashMap<>();

  /** The counter of one combination of label values, created at its first use. */
  public LongAdder get(String a, String b, String c) {
    var byB = cells.get(a);
    if (byB == null) {
      byB = cells.computeIfAbsent(a, k -> new ConcurrentHashMap<>());
    }
    var byC = byB.get(b);
    if (byC == null) {
      byC = byB.computeIfAbsent(b, k -> new ConcurrentHashMap<>());
    }
    LongAdder n = byC.get(c);
    if (n == null) {
      n = byC.computeIfAbsent(c, k -> new LongAdder());
    }
    return n;
  }

  /** Adds {@code n} to one combination. */
  public void add(String a, String b, String c, long n) {
    get(a, b, c).add(n);
  }

  /** Visits every combination seen so far with its current value. */
  public void forEach(Visitor visitor) {
    cells.forEach(
        (a, byB) ->
            byB.forEach((b, byC) -> byC.forEach((c, n) -> visitor.visit(a, b, c, n.sum()))));
  }

  /** Receives one combination of label values and its count. */
  @FunctionalInterface
  public interface Visitor {
    /** One combination. */
    void visit(String a, String b, String c, long value);
  }
}
