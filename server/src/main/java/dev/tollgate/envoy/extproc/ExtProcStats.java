package dev.tollgate.envoy.extproc;

import dev.tollgate.accounting.AccountingStats;
import dev.tollgate.response.BufferBudget;
import dev.tollgate.response.ResponseEvent;
import dev.tollgate.stats.MetricLabels;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.LongAdder;

/** Counters of the accounting side, read by the metrics exporter. */
public final class ExtProcStats {
  final LongAdder streams = new LongAdder();
  final LongAdder streamsEnded = new LongAdder();
  final LongAdder withoutMetadata = new LongAdder();
  final LongAdder settledFromUsage = new LongAdder();
  final LongAdder settledFromDeltas = new LongAdder();
  final LongAdder refunded = new LongAdder();
  final LongAdder includeUsageAdded = new LongAdder();
  final LongAdder settleFailed = new LongAdder();
  final LongAdder cutShort = new LongAdder();
  final LongAdder keptReservation = new LongAdder();
  final LongAdder invalidTicket = new LongAdder();
  final LongAdder notHeld = new LongAdder();
  private final EnumMap<ResponseEvent, LongAdder> responseEvents =
      new EnumMap<>(ResponseEvent.class);
  private volatile BufferBudget budget;
  private final AccountingStats accounting;

  /** Every tier and model label {@link MetricLabels#OTHER}. */
  public ExtProcStats() {
    this(MetricLabels.UNCONFIGURED);
  }

  /**
   * @param labels bounds the tier and model labels of what settlements charged
   */
  public ExtProcStats(MetricLabels labels) {
    this.accounting = new AccountingStats(labels);
    for (ResponseEvent e : ResponseEvent.values()) {
      responseEvents.put(e, new LongAdder());
    }
  }

  /** What settlements charged. */
  public AccountingStats accounting() {
    return accounting;
  }

  /** ext_proc streams open now (Envoy's requests between their headers and their end). */
  public long streamsInFlight() {
    // ended first: a stream that ends between the two reads is never counted below zero
    long ended = streamsEnded.sum();
    return Math.max(0, streams.sum() - ended);
  }

  /** Counts one event of reading a response (refused usage, dropped SSE event, ...). */
  public void count(ResponseEvent e) {
    responseEvents.get(e).increment();
  }

  /** The shared buffer budget whose use {@link #bufferedBytes()} reports. */
  void watch(BufferBudget budget) {
    this.budget = budget;
  }

  /** Bytes responses hold now from the shared buffer budget (beyond each stream's free bytes). */
  public long bufferedBytes() {
    BufferBudget b = budget;
    return b == null ? 0 : b.used();
  }

  /** Counter values by name. */
  public Map<String, Long> counts() {
    Map<String, Long> m = new TreeMap<>();
    m.put("streams", streams.sum());
    m.put("without_metadata", withoutMetadata.sum());
    m.put("settled_from_usage", settledFromUsage.sum());
    m.put("settled_from_deltas", settledFromDeltas.sum());
    m.put("refunded", refunded.sum());
    m.put("include_usage_added", includeUsageAdded.sum());
    m.put("settle_failed", settleFailed.sum());
    m.put("cut_short", cutShort.sum());
    m.put("settled_as_reserved", keptReservation.sum());
    m.put("ticket_invalid", invalidTicket.sum());
    m.put("settlement_not_held", notHeld.sum());
    responseEvents.forEach((e, n) -> m.put(e.metricName(), n.sum()));
    return m;
  }
}
