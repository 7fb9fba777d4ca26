package dev.tollgate.admission;

import dev.tollgate.stats.Histogram;
import dev.tollgate.stats.LabelledCounters;
import dev.tollgate.stats.LabelledHistograms;
import dev.tollgate.stats.MetricLabels;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts decisions by reason code, tier and model, their latency by outcome and the prompt tokens
 * counted for what was allowed; a metrics exporter reads it.
 */
public final class AdmissionStats {
  /** The {@code outcome} label of a decision: allow, deny, or error (the store or Tollgate). */
  public static final String ALLOW = "allow";

  /** A refusal on the request's merits (key, body, model, quota). */
  public static final String DENY = "deny";

  /** A refusal because Tollgate could not decide: the store failed, or an internal error. */
  public static final String ERROR = "error";

  private volatile MetricLabels labels;
  private final LabelledCounters decisions = new LabelledCounters();
  private final LabelledCounters promptTokens = new LabelledCounters();
  private final LabelledHistograms latency =
      new LabelledHistograms(Histogram.LATENCY_SECONDS, ALLOW, DENY, ERROR);
  private final Histogram allowLatency = latency.get(ALLOW);
  private final Histogram denyLatency = latency.get(DENY);
  private final Histogram errorLatency = latency.get(ERROR);
  private final LongAdder nanos = new LongAdder();
  final LongAdder abandoned = new LongAdder();
  private final ConcurrentHashMap<String, LongAdder> shadowExceeded = new ConcurrentHashMap<>();

  /** Every tier and model label {@link MetricLabels#OTHER}. */
  public AdmissionStats() {
    this(MetricLabels.UNCONFIGURED);
  }

  /**
   * @param labels bounds the tier and model labels
   */
  public AdmissionStats(MetricLabels labels) {
    this.labels = java.util.Objects.requireNonNull(labels, "labels");
  }

  /** Bounds the tier and model labels by a reloaded configuration's names from now on. */
  public void relabel(MetricLabels labels) {
    this.labels = java.util.Objects.requireNonNull(labels, "labels");
  }

  /** Records one decision and how long it took. */
  public void record(Verdict d, long elapsedNanos) {
    AuthzMetadata md = d instanceof Verdict.Allow a ? a.metadata() : ((Verdict.Deny) d).metadata();
    String tier = labels.tier(md.tier());
    String model = labels.model(md.model());
    decisions.get(d.reason().code(), tier, model).increment();
    if (d instanceof Verdict.Allow && md.promptTokens() != null) {
      promptTokens.add(tier, model, "", md.promptTokens());
    }
    Histogram h =
        switch (outcome(d)) {
          case ALLOW -> allowLatency;
          case DENY -> denyLatency;
          default -> errorLatency;
        };
    h.observeNanos(elapsedNanos);
    nanos.add(elapsedNanos);
  }

  /** The outcome label of a decision. */
  static String outcome(Verdict d) {
    if (d instanceof Verdict.Allow) {
      return ALLOW;
    }
    return d.reason() == Reason.STORE_UNAVAILABLE || d.reason() == Reason.INTERNAL_ERROR
        ? ERROR
        : DENY;
  }

  /** Decisions so far, by reason. */
  public Map<String, Long> counts() {
    Map<String, Long> m = new TreeMap<>();
    decisions.forEach((reason, tier, model, n) -> m.merge(reason, n, Long::sum));
    return m;
  }

  /** Decisions so far by reason code, tier and model label. */
  public LabelledCounters decisions() {
    return decisions;
  }

  /** Prompt tokens counted for allowed requests, by tier and model label (the third is empty). */
  public LabelledCounters promptTokens() {
    return promptTokens;
  }

  /** Decision latency by outcome ({@link #ALLOW}, {@link #DENY}, {@link #ERROR}). */
  public LabelledHistograms latency() {
    return latency;
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
