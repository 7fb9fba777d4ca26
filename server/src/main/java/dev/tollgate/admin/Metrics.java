package dev.tollgate.admin;

import dev.tollgate.accounting.AccountingStats;
import dev.tollgate.admission.AdmissionStats;
import dev.tollgate.quota.QuotaService;
import dev.tollgate.stats.Histogram;
import dev.tollgate.stats.LabelledCounters;
import dev.tollgate.stats.LabelledHistograms;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.util.Arrays;

/**
 * Registers Tollgate's metrics in a Prometheus registry: callbacks and collectors over the plain
 * counters the services keep, so a Check pays only for a few adder increments. No user,
 * conversation or key id is a label; tier and model labels are bounded by the configuration ({@link
 * dev.tollgate.stats.MetricLabels}). README, "Metrics", lists them all.
 */
public final class Metrics {
  /**
   * The JVM's metrics, registered once per process: the Prometheus client remembers every registry
   * its JVM instrumentation was registered with, for good, so one per Tollgate would keep every
   * stopped Tollgate (and all it holds) reachable. Each Tollgate's registry reads this one.
   */
  private static final PrometheusRegistry JVM = jvmRegistry();

  private Metrics() {}

  private static PrometheusRegistry jvmRegistry() {
    PrometheusRegistry r = new PrometheusRegistry();
    JvmMetrics.builder().register(r);
    return r;
  }

  /** Registers the admission, store, accounting and JVM metrics. */
  public static void register(
      PrometheusRegistry registry,
      AdmissionStats stats,
      dev.tollgate.envoy.extproc.ExtProcStats extProc,
      QuotaService quotas) {
    registerDecisions(registry, stats);
    registerStore(registry, quotas);
    registerSettlements(registry, stats, extProc.accounting());
    GaugeWithCallback.builder()
        .name("tollgate_extproc_streams_in_flight")
        .help("ext_proc streams open now: allowed requests whose response is being accounted")
        .callback(cb -> cb.call(extProc.streamsInFlight()))
        .register(registry);
    registry.register((io.prometheus.metrics.model.registry.MultiCollector) JVM::scrape);
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
  }

  private static void registerDecisions(PrometheusRegistry registry, AdmissionStats stats) {
    counter(
        registry,
        "tollgate_decisions_total",
        "ext_authz decisions by reason code, tier and model",
        stats.decisions(),
        1,
        "reason",
        "tier",
        "model");
    CounterWithCallback.builder()
        .name("tollgate_decision_seconds_total")
        .help("time spent deciding, all decisions")
        .callback(cb -> cb.call(stats.totalNanos() / 1e9))
        .register(registry);
    histogram(
        registry,
        "tollgate_decision_duration_seconds",
        "ext_authz decision latency by outcome (allow, deny, error: store unavailable or internal)",
        "outcome",
        stats.latency());
  }

  private static void registerStore(PrometheusRegistry registry, QuotaService quotas) {
    histogram(
        registry,
        "tollgate_store_call_duration_seconds",
        "quota store call latency by operation, until the store answers (also past the deadline)",
        "operation",
        quotas.storeLatency());
    counter(
        registry,
        "tollgate_store_call_errors_total",
        "quota store calls whose answer was an error, by operation (a late answer is in the latency histogram)",
        quotas.storeErrors(),
        1,
        "operation");
  }

  private static void registerSettlements(
      PrometheusRegistry registry, AdmissionStats admission, AccountingStats accounting) {
    CounterWithCallback.builder()
        .name("tollgate_reservations_settled_total")
        .help("reservations settled with a charge, once each (replays count nothing)")
        .callback(cb -> cb.call(accounting.settledCount()))
        .register(registry);
    CounterWithCallback.builder()
        .name("tollgate_reservations_refunded_total")
        .help("reservations given back because the upstream answered non-2xx")
        .callback(cb -> cb.call(accounting.refundedCount()))
        .register(registry);
    CounterWithCallback.builder()
        .name("tollgate_tokens_total")
        .help(
            "tokens by tier, model and kind: prompt (counted at admission, allowed requests), "
                + "input, cached_input (part of input) and output (charged by settlements)")
        .labelNames("tier", "model", "kind")
        .callback(
            cb -> {
              admission
                  .promptTokens()
                  .forEach((tier, model, unused, n) -> cb.call(n, tier, model, "prompt"));
              accounting.tokens().forEach((tier, model, kind, n) -> cb.call(n, tier, model, kind));
            })
        .register(registry);
    counter(
        registry,
        "tollgate_cost_usd_total",
        "USD charged by settlements, by tier and model",
        accounting.nanoUsd(),
        1e-9,
        "tier",
        "model");
    histogram(
        registry,
        "tollgate_estimate_error_ratio",
        "(charged - reserved) / reserved tokens of settlements from measured usage, by tier",
        "tier",
        accounting.estimateError());
  }

  /**
   * A counter over {@link LabelledCounters}, its values times {@code scale}, with as many label
   * names as the counters use.
   */
  private static void counter(
      PrometheusRegistry registry,
      String name,
      String help,
      LabelledCounters counters,
      double scale,
      String... labelNames) {
    CounterWithCallback.builder()
        .name(name)
        .help(help)
        .labelNames(labelNames)
        .callback(
            cb ->
                counters.forEach(
                    (a, b, c, n) -> {
                      String[] all = {a, b, c};
                      cb.call(n * scale, Arrays.copyOf(all, labelNames.length));
                    }))
        .register(registry);
  }

  /** A classic histogram over {@link LabelledHistograms}, one label. */
  private static void histogram(
      PrometheusRegistry registry,
      String name,
      String help,
      String labelName,
      LabelledHistograms histograms) {
    registry.register(
        new Collector() {
          @Override
          public MetricSnapshot collect() {
            HistogramSnapshot.Builder b = HistogramSnapshot.builder().name(name).help(help);
            histograms
                .snapshots()
                .forEach(
                    (label, s) ->
                        b.dataPoint(
                            HistogramSnapshot.HistogramDataPointSnapshot.builder()
                                .classicHistogramBuckets(buckets(s))
                                .sum(s.sum())
                                .labels(Labels.of(labelName, label))
                                .build()));
            return b.build();
          }

          @Override
          public String getPrometheusName() {
            return name;
          }
        });
  }

  private static ClassicHistogramBuckets buckets(Histogram.Snapshot s) {
    double[] bounds = Arrays.copyOf(s.upperBounds(), s.upperBounds().length + 1);
    bounds[bounds.length - 1] = Double.POSITIVE_INFINITY;
    return ClassicHistogramBuckets.of(bounds, s.counts());
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

  /**
   * Registers the counters of the quota store's leases ({@code store.leases}): slices taken,
   * requests admitted from them, and the reservation and adjust calls that reached the cluster.
   */
  public static void registerLeases(
      PrometheusRegistry registry, dev.tollgate.quota.LeasingQuotaStore leases) {
    CounterWithCallback.builder()
        .name("tollgate_store_leases_taken_total")
        .help("slices of a key's budget this replica reserved on the cluster")
        .callback(cb -> cb.call(leases.leasesTaken()))
        .register(registry);
    CounterWithCallback.builder()
        .name("tollgate_store_lease_admissions_total")
        .help("reservations this replica admitted from a slice, without a store call of their own")
        .callback(cb -> cb.call(leases.localAdmissions()))
        .register(registry);
    CounterWithCallback.builder()
        .name("tollgate_store_cluster_calls_total")
        .help("reserve and adjust calls the leases made to the cluster (adjusts coalesced)")
        .labelNames("operation")
        .callback(
            cb -> {
              cb.call(leases.reserveCalls(), "reserve");
              cb.call(leases.adjustCalls(), "adjust");
            })
        .register(registry);
    CounterWithCallback.builder()
        .name("tollgate_store_cluster_adjust_failures_total")
        .help("coalesced adjust calls that failed (their callers were told)")
        .callback(cb -> cb.call(leases.adjustFailures()))
        .register(registry);
  }

  /**
   * Registers the configuration reload metrics: reloads by result ({@code applied}, {@code failed},
   * {@code unchanged}) and when the configuration in use was applied.
   */
  public static void registerReload(
      PrometheusRegistry registry, dev.tollgate.config.ConfigWatcher watcher) {
    CounterWithCallback.builder()
        .name("tollgate_config_reloads_total")
        .help(
            "configuration reloads by result: applied, failed (the last good configuration stays),"
                + " unchanged")
        .labelNames("result")
        .callback(
            cb -> {
              for (dev.tollgate.config.ReloadResult.Outcome o :
                  dev.tollgate.config.ReloadResult.Outcome.values()) {
                cb.call(watcher.count(o), o.label());
              }
            })
        .register(registry);
    GaugeWithCallback.builder()
        .name("tollgate_config_last_reload_success_timestamp_seconds")
        .help("when the configuration in use was applied (start-up or the last good reload)")
        .callback(cb -> cb.call(watcher.lastApplied().toEpochMilli() / 1000.0))
        .register(registry);
  }

  /** Registers the alert counters: alerts each webhook accepted, alerts dropped and why. */
  public static void registerAlerts(
      PrometheusRegistry registry, dev.tollgate.alerts.AlertStats alerts) {
    CounterWithCallback.builder()
        .name("tollgate_alerts_sent_total")
        .help("alerts a webhook accepted (a 2xx answer), sent by this replica")
        .labelNames("webhook")
        .callback(cb -> alerts.sent().forEach((webhook, n) -> cb.call(n, webhook)))
        .register(registry);
    CounterWithCallback.builder()
        .name("tollgate_alerts_failed_total")
        .help(
            "alerts dropped by this replica: every attempt failed (retries_exhausted) or the"
                + " delivery queue was full (queue_full)")
        .labelNames("webhook", "reason")
        .callback(cb -> alerts.failed().forEach((k, n) -> cb.call(n, k.getKey(), k.getValue())))
        .register(registry);
  }

  /**
   * The Hazelcast cluster as this replica sees it: its members and the partition replica migrations
   * reported to it.
   */
  public static void registerCluster(
      PrometheusRegistry registry,
      java.util.function.LongSupplier members,
      java.util.function.LongSupplier migrationsCompleted,
      java.util.function.LongSupplier migrationsFailed) {
    GaugeWithCallback.builder()
        .name("tollgate_hazelcast_members")
        .help("members of the Hazelcast cluster, as this replica sees it")
        .callback(cb -> cb.call(members.getAsLong()))
        .register(registry);
    CounterWithCallback.builder()
        .name("tollgate_hazelcast_migrations_total")
        .help("partition replica migrations reported to this member, by result")
        .labelNames("result")
        .callback(
            cb -> {
              cb.call(migrationsCompleted.getAsLong(), "completed");
              cb.call(migrationsFailed.getAsLong(), "failed");
            })
        .register(registry);
  }

  /** Registers the token-count cache's lookups: hits (a text counted before) and misses. */
  public static void registerTokenCache(
      PrometheusRegistry registry, dev.tollgate.tokens.TokenCountCache cache) {
    CounterWithCallback.builder()
        .name("tollgate_token_count_cache_total")
        .help(
            "texts of 256 characters or more looked up in the token-count cache: hit (counted"
                + " before, e.g. a re-sent chat history) or miss")
        .labelNames("result")
        .callback(
            cb -> {
              cb.call(cache.hits(), "hit");
              cb.call(cache.misses(), "miss");
            })
        .register(registry);
  }
}
