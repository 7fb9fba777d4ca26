package dev.tollgate.alerts;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Alerts delivered and dropped, by webhook (and reason), on this replica. */
public final class AlertStats {
  /** Why an alert was dropped. */
  public enum Failure {
    /** Every attempt failed (an error status, a timeout, a connection refused). */
    RETRIES_EXHAUSTED,
    /** The delivery queue was full. */
    QUEUE_FULL;

    /** The metric label. */
    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final Map<String, LongAdder> sent = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> failed = new ConcurrentHashMap<>();

  /** Exports every configured webhook's counters from zero, before its first alert. */
  void expect(dev.tollgate.config.AlertsConfig config) {
    for (dev.tollgate.config.AlertsConfig.Webhook w : config.webhooks()) {
      sent.computeIfAbsent(w.name(), n -> new LongAdder());
      for (Failure f : Failure.values()) {
        failed.computeIfAbsent(w.name() + "\n" + f.label(), n -> new LongAdder());
      }
    }
  }

  void recordSent(String webhook) {
    sent.computeIfAbsent(webhook, w -> new LongAdder()).increment();
  }

  void recordFailed(String webhook, Failure reason) {
    failed.computeIfAbsent(webhook + "\n" + reason.label(), w -> new LongAdder()).increment();
  }

  /** Alerts a webhook accepted (a 2xx answer), by webhook. */
  public Map<String, Long> sent() {
    Map<String, Long> out = new TreeMap<>();
    sent.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /** Alerts dropped, by webhook and reason label. */
  public Map<Map.Entry<String, String>, Long> failed() {
    Map<Map.Entry<String, String>, Long> out = new java.util.LinkedHashMap<>();
    new TreeMap<>(failed)
        .forEach(
            (k, v) -> {
              int i = k.indexOf('\n');
              out.put(Map.entry(k.substring(0, i), k.substring(i + 1)), v.sum());
            });
    return out;
  }

  /** Alerts dropped for {@code webhook} for {@code reason}. */
  public long failed(String webhook, Failure reason) {
    LongAdder a = failed.get(webhook + "\n" + reason.label());
    return a == null ? 0 : a.sum();
  }

  /** Alerts {@code webhook} accepted. */
  public long sent(String webhook) {
    LongAdder a = sent.get(webhook);
    return a == null ? 0 : a.sum();
  }
}
