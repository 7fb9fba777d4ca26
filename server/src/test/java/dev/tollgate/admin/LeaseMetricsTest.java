package dev.tollgate.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tollgate.quota.Charge;
import dev.tollgate.quota.InMemoryQuotaStore;
import dev.tollgate.quota.LeasingQuotaStore;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.Window;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The leases' counters, as a scrape reads them. */
class LeaseMetricsTest {
  @Test
  void countsSlicesAdmissionsAndClusterCalls() {
    List<Limit> limits = List.of(new Limit(Window.parse("1h"), Unit.TOKENS, 1_000_000));
    long t0 = 1_764_547_200_000L; // a granule start
    try (LeasingQuotaStore store =
        new LeasingQuotaStore(
            new InMemoryQuotaStore(),
            // slices expire by this clock: stopped, none expires during the test
            Clock.fixed(java.time.Instant.ofEpochMilli(t0), java.time.ZoneOffset.UTC),
            () -> 1)) {
      PrometheusRegistry registry = new PrometheusRegistry();
      Metrics.registerLeases(registry, store);
      for (int g = 0; g < 2; g++) {
        for (int i = 0; i < 10; i++) {
          store
              .reserve("global", limits, new Charge(10, 0, 1), t0 + g * 50 + i, true)
              .toCompletableFuture()
              .join();
        }
      }
      Map<String, Double> samples = new TreeMap<>();
      for (MetricSnapshot m : registry.scrape()) {
        for (CounterSnapshot.CounterDataPointSnapshot p : ((CounterSnapshot) m).getDataPoints()) {
          String labels = p.getLabels().isEmpty() ? "" : p.getLabels().get("operation");
          samples.put(m.getMetadata().getName() + labels, p.getValue());
        }
      }
      // ten exact reservations, then one slice for the next granule's ten
      assertEquals(1.0, samples.get("tollgate_store_leases_taken"));
      assertEquals(10.0, samples.get("tollgate_store_lease_admissions"));
      assertEquals(11.0, samples.get("tollgate_store_cluster_callsreserve"));
      assertEquals(0.0, samples.get("tollgate_store_cluster_adjust_failures"));
    }
  }
}
