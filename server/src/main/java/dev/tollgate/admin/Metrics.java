package dev.tollgate.admin;

import dev.tollgate.admission.AdmissionStats;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** Registers Tollgate's metrics in a Prometheus registry. */
public final class Metrics {
  private Metrics() {}

  /** Registers the admission metrics. */
  public static void register(PrometheusRegistry registry, AdmissionStats stats,
      dev.tollgate.envoy.extproc.ExtProcStats extProc) {
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
}
