package dev.tollgate.admin;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import dev.tollgate.TestConfigs;
import dev.tollgate.Tollgate;
import dev.tollgate.envoy.extproc.ExtProcStreams;
import dev.tollgate.quota.InMemoryQuotaStore;
import dev.tollgate.stats.Histogram;
import dev.tollgate.stats.MetricLabels;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What {@code /metrics} says after real Checks and ext_proc streams: decisions by reason, tier and
 * model (bounded, no ids), latency histograms, tokens and USD charged, the estimate error, how
 * reservations ended and the streams in flight.
 */
class MetricsTest {
  private Tollgate tollgate;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    String yaml =
        TestConfigs.yaml("- { scope: user, window: 5m, tokens: 1000000 }", "memory", "deny")
            .replace(
                "server: { grpc_port: 0, http_port: 0 }",
                "server: { grpc_port: 0, http_port: 0, http_address: 127.0.0.1 }");
    tollgate =
        Tollgate.start(
            TestConfigs.parse(yaml),
            InProcessServerBuilder.forName(name).directExecutor(),
            null,
            true,
            Clock.systemUTC(),
            new InMemoryQuotaStore());
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    tollgate.close();
  }

  /** The samples of a scrape by series ({@code name{labels}}, labels sorted by name). */
  static Map<String, Double> samples(String text) {
    Map<String, Double> m = new TreeMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      m.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
    }
    return m;
  }

  /** The value of one series, or a failure listing the series of the same metric. */
  static double value(Map<String, Double> samples, String series) {
    Double v = samples.get(series);
    if (v == null) {
      String name = series.replaceAll("\\{.*", "");
      throw new AssertionError(
          "no "
              + series
              + "; of "
              + name
              + ": "
              + samples.keySet().stream().filter(k -> k.startsWith(name)).toList());
    }
    return v;
  }

  private Map<String, Double> scrape() throws Exception {
    return samples(MetricsTraffic.scrape(tollgate.httpPort()));
  }

  @Test
  void decisionsByReasonTierAndModelWithoutIdsOrUnknownModels() throws Exception {
    MetricsTraffic.allowed(channel, "alice-4711");
    MetricsTraffic.check(channel, "sk-not-a-key", "bob-4712", MetricsTraffic.SF_CHAT);
    MetricsTraffic.check(
        channel,
        TestConfigs.SERVICE_KEY,
        "carol-4713",
        MetricsTraffic.SF_CHAT.replace("gpt-4o", "made-up-model-4714"));
    String text = MetricsTraffic.scrape(tollgate.httpPort());
    Map<String, Double> s = samples(text);
    assertEquals(
        1.0,
        value(s, "tollgate_decisions_total{model=\"gpt-4o\",reason=\"allow\",tier=\"default\"}"));
    assertEquals(
        1.0,
        value(
            s,
            "tollgate_decisions_total{model=\"none\",reason=\"auth.invalid_key\",tier=\"none\"}"));
    assertEquals(1.0, value(s, "tollgate_decision_duration_seconds_count{outcome=\"allow\"}"));
    assertEquals(2.0, value(s, "tollgate_decision_duration_seconds_count{outcome=\"deny\"}"));
    assertEquals(0.0, value(s, "tollgate_decision_duration_seconds_count{outcome=\"error\"}"));
    assertEquals(
        14.0, value(s, "tollgate_tokens_total{kind=\"prompt\",model=\"gpt-4o\",tier=\"default\"}"));
    for (String id : List.of("alice-4711", "bob-4712", "carol-4713", "made-up-model-4714", "web")) {
      assertFalse(text.contains("\"" + id + "\""), id + " is a label value:\n" + text);
    }
    assertTrue(value(s, "tollgate_store_call_duration_seconds_count{operation=\"reserve\"}") >= 1);
    assertTrue(value(s, "tollgate_store_call_duration_seconds_count{operation=\"hold\"}") >= 1);
    assertTrue(s.containsKey("jvm_memory_used_bytes{area=\"heap\"}"), text);
  }

  @Test
  void aHistoryResentOnTheNextTurnIsAnsweredFromTheTokenCountCache() throws Exception {
    String history = "The quota gateway counts every message once. ".repeat(8);
    String body = MetricsTraffic.SF_CHAT.replace("What's the weather like in SF?", history);
    MetricsTraffic.check(channel, TestConfigs.SERVICE_KEY, "frank", body);
    MetricsTraffic.check(channel, TestConfigs.SERVICE_KEY, "frank", body);
    Map<String, Double> s = scrape();
    assertEquals(1.0, value(s, "tollgate_token_count_cache_total{result=\"miss\"}"));
    assertEquals(1.0, value(s, "tollgate_token_count_cache_total{result=\"hit\"}"));
  }

  @Test
  void settlementsCountTokensUsdTheEstimateErrorAndHowReservationsEnded() throws Exception {
    Struct settled = MetricsTraffic.allowed(channel, "dave");
    MetricsTraffic.settle(channel, settled);
    Struct refunded = MetricsTraffic.allowed(channel, "erin");
    MetricsTraffic.refund(channel, refunded);
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> value(scrape(), "tollgate_reservations_refunded_total") == 1.0);
    Map<String, Double> s = scrape();
    assertEquals(1.0, value(s, "tollgate_reservations_settled_total"));
    String labels = "model=\"gpt-4o\",tier=\"default\"";
    assertEquals(28.0, value(s, "tollgate_tokens_total{kind=\"prompt\"," + labels + "}"));
    assertEquals(14.0, value(s, "tollgate_tokens_total{kind=\"input\"," + labels + "}"));
    assertEquals(0.0, value(s, "tollgate_tokens_total{kind=\"cached_input\"," + labels + "}"));
    assertEquals(30.0, value(s, "tollgate_tokens_total{kind=\"output\"," + labels + "}"));
    // 14 input tokens at $2.50 and 30 output at $10.00 per million
    assertEquals(0.000335, value(s, "tollgate_cost_usd_total{" + labels + "}"), 1e-12);
    // 44 used of 214 reserved: (44 - 214) / 214 = -0.794, in the bucket up to -0.75
    String tier = "tier=\"default\"";
    assertEquals(0.0, value(s, "tollgate_estimate_error_ratio_bucket{" + tier + ",le=\"-0.9\"}"));
    assertEquals(1.0, value(s, "tollgate_estimate_error_ratio_bucket{" + tier + ",le=\"-0.75\"}"));
    assertEquals(1.0, value(s, "tollgate_estimate_error_ratio_bucket{" + tier + ",le=\"+Inf\"}"));
    assertEquals(1.0, value(s, "tollgate_estimate_error_ratio_count{" + tier + "}"));
    assertEquals(-170.0 / 214, value(s, "tollgate_estimate_error_ratio_sum{" + tier + "}"), 1e-9);
    assertEquals(0.0, value(s, "tollgate_extproc_streams_in_flight"));
    assertTrue(value(s, "tollgate_store_call_duration_seconds_count{operation=\"take\"}") >= 2);
    assertTrue(value(s, "tollgate_store_call_duration_seconds_count{operation=\"adjust\"}") >= 2);
  }

  @Test
  void aStreamIsInFlightUntilItCloses() throws Exception {
    ExtProcStreams s = new ExtProcStreams(MetricsTraffic.allowed(channel, "frank"));
    StreamObserver<ProcessingRequest> in =
        ExternalProcessorGrpc.newStub(channel)
            .process(
                new StreamObserver<ProcessingResponse>() {
                  @Override
                  public void onNext(ProcessingResponse value) {}

                  @Override
                  public void onError(Throwable t) {}

                  @Override
                  public void onCompleted() {}
                });
    in.onNext(s.requestHeaders("/v1/chat/completions", false));
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> value(scrape(), "tollgate_extproc_streams_in_flight") == 1.0);
    in.onError(new RuntimeException("client gone"));
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> value(scrape(), "tollgate_extproc_streams_in_flight") == 0.0);
  }

  @Test
  void labelsAreBoundedByTheConfiguration() {
    MetricLabels labels = MetricLabels.of(List.of("default"), List.of("gpt-4o"));
    assertEquals("gpt-4o", labels.model("gpt-4o"));
    assertEquals(MetricLabels.OTHER, labels.model("gpt-4o-2024-08-06"));
    assertEquals(MetricLabels.NONE, labels.model(null));
    assertEquals("default", labels.tier("default"));
    assertEquals(MetricLabels.OTHER, labels.tier("gold"));
  }

  @Test
  void histogramBoundsAreInclusiveAndLargerValuesGoAboveThem() {
    Histogram h = new Histogram(new double[] {1, 2});
    h.observe(1);
    h.observe(1.5);
    h.observe(3);
    h.observe(-4);
    Histogram.Snapshot s = h.snapshot();
    assertEquals(List.of(2L, 1L, 1L), java.util.Arrays.stream(s.counts()).boxed().toList());
    assertEquals(4, s.count());
    assertEquals(1.5, s.sum());
    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> new Histogram(new double[] {2, 1}));
    assertEquals("upperBounds: [2.0, 1.0] (expected: strictly ascending)", e.getMessage());
  }
}
