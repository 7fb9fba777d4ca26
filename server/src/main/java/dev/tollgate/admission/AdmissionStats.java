package dev.tollgate.admission;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Counts decisions by reason code; a metrics exporter reads it. */
public final class AdmissionStats {
  private final ConcurrentHashMap<String, LongAdder> byReason = new ConcurrentHashMap<>();
  private final LongAdder nanos = new LongAdder();
  final LongAdder abandoned = new LongAdder();
  private final ConcurrentHashMap<String, LongAdder> shadowExceeded = new ConcurrentHashMap<>();

  /** Records one decision and how long it took. */
  public void record(Verdict d, long elapsedNanos) {
    byReason.computeIfAbsent(d.reason().code(), k -> new LongAdder()).increment();
    nanos.add(elapsedNanos);
  }

  /** Decisions so far, by reason. */
  public Map<String, Long> counts() {
    Map<String, Long> m = new TreeMap<>();
    byReason.forEach((k, v) -> m.put(k, v.sum()));
    return m;
  }

  /**
   * Allows whose Check was cancelled before the answer reached Envoy (their reservations released).
   */
  public long abandoned() {
    return abandoned.sum();
  }

  /** Counts a request that went over a shadow limit, by its {@code scope:window:unit} label. */
  void shadowExceeded(String label) {
    shadowExceeded.computeIfAbsent(label, k -> new LongAdder()).increment();
  }

  /**
   * Requests that went over a shadow limit (and were not refused for it), by {@code
   * scope:window:unit}.
   */
  public Map<String, Long> shadowExceeded() {
    Map<String, Long> m = new TreeMap<>();
    shadowExceeded.forEach((k, v) -> m.put(k, v.sum()));
    return m;
  }

  /** Total time spent deciding, in nanoseconds. */
  public long totalNanos() {
    return nanos.sum();
  }
}
