package dev.tollgate.admin;

import dev.tollgate.admission.AdmissionStats;
import dev.tollgate.quota.QuotaService;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** Registers Tollgate's metrics in a Prometheus registry. */
public final class Metrics {
  private Metrics() {}

  /** Registers the admission metrics. */
  public static void register(
      PrometheusRegistry registry,
      AdmissionStats stats,
      dev.tollgate.envoy.extproc.ExtProcStats extProc,
      QuotaService quotas) {
    GaugeWithCallback.builder()
        .name("tollgate_reservations_pending")
        .help("reservations awaiting their settlement (cluster-wide)")
        .callback(cb -> cb.call(quotas.heldCount()))
        .register(registry);
    CounterWithCallback.builder()
        .name("tollgate_reservations_released_total")
        .help(
            "reservations given back without a settlement: the Check answer never reached Envoy, "
                + "or a grant arrived after the store deadline")
        .labelNames("reason")
        .callback(
            cb -> {
              cb.call(stats.abandoned(), "check_cancelled");
              cb.call(quotas.lateReleases(), "late_grant");
            })
        .register(registry);
    CounterWithCallback.builder()
        .name("tollgate_reservations_expired_total")
        .help(
            "reservations whose settlement never came within accounting.pending_ttl (this replica)")
        .callback(cb -> cb.call(quotas.expiredCount()))
        .register(registry);
    CounterWithCallback.builder()
        .name("tollgate_extproc_events_total")
        .help("ext_proc accounting events: streams, settlements by source, refunds, failures")
        .labelNames("event")
        .callback(cb -> extProc.counts().forEach((event, n) -> cb.call(n, event)))
        .register(registry);
    GaugeWithCallback.builder()
        .name("tollgate_extproc_buffered_bytes")
        .help("bytes responses hold between chunks from the shared buffer budget")
        .callback(cb -> cb.call(extProc.bufferedBytes()))
        .register(registry);
    CounterWithCallback.builder()
        .name("tollgate_decisions_total")
        .help("ext_authz decisions by reason code")
        .labelNames("reason")
        .callback(cb -> stats.counts().forEach((reason, n) -> cb.call(n, reason)))
        .register(registry);
    CounterWithCallback.builder()
        .name("tollgate_decision_seconds_total")
        .help("time spent deciding, all decisions")
        .callback(cb -> cb.call(stats.totalNanos() / 1e9))
        .register(registry);
  }

  /**
   * Registers {@code tollgate_shadow_exceeded_total{scope,window,unit}}: requests that went over a
   * shadow limit, which counts and reports but never refuses.
   */
  public static void registerShadow(PrometheusRegistry registry, AdmissionStats stats) {
    CounterWithCallback.builder()
        .name("tollgate_shadow_exceeded_total")
        .help("requests over a shadow limit (mode: shadow), which were not refused for it")
        .labelNames("scope", "window", "unit")
        .callback(
            cb ->
                stats
                    .shadowExceeded()
                    .forEach(
                        (label, n) -> {
                          String[] p = label.split(":", 3);
                          cb.call(n, p[0], p[1], p[2]);
                        }))
        .register(registry);
  }

  /** Registers the persistence metrics: what waits to be written, what was written, what failed. */
  public static void registerPersistence(
      PrometheusRegistry registry,
      java.util.function.LongSupplier backlog,
      java.util.function.LongSupplier written,
      java.util.function.LongSupplier failures) {
    GaugeWithCallback.builder()
        .name("tollgate_persistence_backlog")
        .help("usage changes this member holds that are not yet written to the database")
        .callback(cb -> cb.call(backlog.getAsLong()))
        .register(registry);
    CounterWithCallback.builder()
        .name("tollgate_persistence_written_total")
        .help("usage records this member wrote to the database")
        .callback(cb -> cb.call(written.getAsLong()))
        .register(registry);
    CounterWithCallback.builder()
        .name("tollgate_persistence_failures_total")
        .help("database calls of this member that failed (retried while usage stays in memory)")
        .callback(cb -> cb.call(failures.getAsLong()))
        .register(registry);
  }

  /**
   * The Hazelcast usage ledger's counters: aggregate changes this replica holds until its next
   * flush, merges sent to the cluster and merges that failed (kept for the next flush).
   */
  public static void registerLedger(
      PrometheusRegistry registry,
      java.util.function.LongSupplier pending,
      java.util.function.LongSupplier merges,
      java.util.function.LongSupplier failedMerges) {
    GaugeWithCallback.builder()
        .name("tollgate_ledger_pending")
        .help("daily usage aggregates this replica changed and has not merged into the cluster yet")
        .callback(cb -> cb.call(pending.getAsLong()))
        .register(registry);
    CounterWithCallback.builder()
        .name("tollgate_ledger_merges_total")
        .help("daily usage aggregate changes this replica merged into the cluster")
        .callback(cb -> cb.call(merges.getAsLong()))
        .register(registry);
    CounterWithCallback.builder()
        .name("tollgate_ledger_merge_failures_total")
        .help("ledger merges that failed (kept for the next flush)")
        .callback(cb -> cb.call(failedMerges.getAsLong()))
        .register(registry);
  }
}
