package dev.tollgate.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Struct;
import dev.tollgate.TestConfigs;
import dev.tollgate.Tollgate;
import dev.tollgate.admin.MetricsTraffic;
import dev.tollgate.hazelcast.HazelcastQuotaStore;
import dev.tollgate.hazelcast.HazelcastTestCluster;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import io.fabric8.openshift.api.model.monitoring.v1.Rule;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code k8s/monitoring/rules}: the PrometheusRule loads into the Prometheus Operator's model with
 * no unknown field and has the alerts operators need; the Grafana dashboard is well formed; and
 * every metric the rules and the dashboard query, with every label they select or group by, is
 * exported by a running Tollgate on Hazelcast after a few Checks and ext_proc streams.
 */
class MonitoringManifestsTest {
  private static final Path DIR = KubernetesManifestsTest.k8sDir().resolve("monitoring/rules");

  /** Labels Prometheus adds to every scraped series (the target's), not Tollgate. */
  private static final Set<String> TARGET_LABELS =
      Set.of("namespace", "pod", "instance", "job", "service", "container", "endpoint");

  private static final Pattern METRIC =
      Pattern.compile("\\b(?:tollgate|jvm|process)_[A-Za-z0-9_:]*");
  private static final Pattern STRING = Pattern.compile("\"(?:\\\\.|[^\"\\\\])*\"");
  private static final Pattern RANGE = Pattern.compile("\\[[^\\]]*\\]");
  private static final Pattern MATCHER =
      Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)\\s*(?:=~|!~|!=|=)\\s*\"\"");
  private static final Pattern GROUPING = Pattern.compile("\\b(?:by|without)\\s*\\(([^)]*)\\)");

  static PrometheusRule rule() throws Exception {
    KubernetesResource r =
        KubernetesManifestsTest.YAML.readValue(
            DIR.resolve("prometheusrule.yaml").toFile(), KubernetesResource.class);
    assertTrue(r instanceof PrometheusRule, "a PrometheusRule: " + r.getClass());
    return (PrometheusRule) r;
  }

  static JsonNode dashboard() throws Exception {
    return new ObjectMapper().readTree(DIR.resolve("grafana-dashboard.json").toFile());
  }

  /** Every PromQL expression of the rules and the dashboard, by where it is. */
  static Map<String, String> expressions() throws Exception {
    Map<String, String> exprs = new LinkedHashMap<>();
    for (var g : rule().getSpec().getGroups()) {
      for (Rule r : g.getRules()) {
        exprs.put("rule " + r.getAlert(), r.getExpr().getStrVal());
      }
    }
    for (JsonNode p : panels(dashboard())) {
      for (JsonNode t : p.path("targets")) {
        exprs.put(
            "panel '" + p.get("title").asText() + "' " + t.get("refId").asText(),
            t.get("expr").asText());
      }
    }
    return exprs;
  }

  /** The dashboard's panels, those inside rows included, rows left out. */
  static List<JsonNode> panels(JsonNode dashboard) {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode p : dashboard.get("panels")) {
      if (p.get("type").asText().equals("row")) {
        p.path("panels").forEach(out::add);
      } else {
        out.add(p);
      }
    }
    return out;
  }

  /** The metric names an expression queries (strings and ranges left out). */
  static Set<String> metricNames(String expr) {
    String e = RANGE.matcher(STRING.matcher(expr).replaceAll("\"\"")).replaceAll("");
    Set<String> names = new TreeSet<>();
    Matcher m = METRIC.matcher(e);
    while (m.find()) {
      names.add(m.group());
    }
    return names;
  }

  /** The label names an expression matches on or groups by ({@code le} left out). */
  static Set<String> labelNames(String expr) {
    String e = STRING.matcher(expr).replaceAll("\"\"");
    Set<String> labels = new TreeSet<>();
    Matcher m = MATCHER.matcher(e);
    while (m.find()) {
      labels.add(m.group(1));
    }
    m = GROUPING.matcher(e);
    while (m.find()) {
      for (String l : m.group(1).split(",")) {
        if (!l.isBlank()) {
          labels.add(l.strip());
        }
      }
    }
    labels.remove("le");
    labels.removeAll(TARGET_LABELS);
    return labels;
  }

  @Test
  void theExtractionFindsMetricsAndLabelsButNotStringsOrRanges() {
    String expr =
        "histogram_quantile(0.99, sum by (le, tier) (rate(tollgate_x_bucket{reason=~\"tollgate_no\","
            + " kind!=\"a\"}[$__rate_interval]))) / on (pod) jvm_y";
    assertEquals(Set.of("tollgate_x_bucket", "jvm_y"), metricNames(expr));
    assertEquals(Set.of("tier", "reason", "kind"), labelNames(expr));
  }

  @Test
  void theRuleHasTheAlertsOperatorsNeed() throws Exception {
    PrometheusRule rule = rule();
    List<String> unknown = new ArrayList<>();
    KubernetesManifestsTest.unknownFields(rule, "", unknown, new IdentityHashMap<>());
    assertTrue(unknown.isEmpty(), "unknown fields " + unknown);
    assertEquals(KubernetesManifestsTest.NAMESPACE, rule.getMetadata().getNamespace());
    Map<String, Rule> alerts = new TreeMap<>();
    rule.getSpec().getGroups().forEach(g -> g.getRules().forEach(r -> alerts.put(r.getAlert(), r)));
    assertEquals(
        Set.of(
            "TollgateStoreUnavailable",
            "TollgateHighDenyRate",
            "TollgateSlowDecisions",
            "TollgateConfigReloadFailed"),
        alerts.keySet());
    for (Rule r : alerts.values()) {
      assertTrue(
          Set.of("critical", "warning").contains(r.getLabels().get("severity")), r.getAlert());
      assertFalse(r.getAnnotations().getOrDefault("summary", "").isBlank(), r.getAlert());
      assertFalse(r.getAnnotations().getOrDefault("description", "").isBlank(), r.getAlert());
    }
    assertTrue(
        metricNames(alerts.get("TollgateSlowDecisions").getExpr().getStrVal())
            .contains("tollgate_decision_duration_seconds_bucket"));
    assertEquals(
        "increase(tollgate_config_reloads_total{result=\"failed\"}[10m]) > 0",
        alerts.get("TollgateConfigReloadFailed").getExpr().getStrVal().strip());
  }

  @Test
  void theDashboardIsWellFormed() throws Exception {
    JsonNode d = dashboard();
    assertEquals("tollgate", d.get("uid").asText());
    assertEquals("datasource", d.at("/templating/list/0/type").asText());
    Set<Integer> ids = new HashSet<>();
    for (JsonNode p : d.get("panels")) {
      assertTrue(ids.add(p.get("id").asInt()), "panel id twice: " + p.get("id"));
      assertTrue(p.get("gridPos").get("w").asInt() <= 24, p.get("title").asText());
    }
    List<JsonNode> panels = panels(d);
    assertTrue(panels.size() >= 10, "panels: " + panels.size());
    for (JsonNode p : panels) {
      String title = p.get("title").asText();
      assertEquals("${datasource}", p.at("/datasource/uid").asText(), title);
      assertFalse(p.path("targets").isEmpty(), title + ": no query");
      for (JsonNode t : p.get("targets")) {
        assertFalse(metricNames(t.get("expr").asText()).isEmpty(), title + ": " + t);
      }
    }
  }

  @Test
  void theKustomizationListsTheRuleAndTheDashboard() throws Exception {
    JsonNode k = KubernetesManifestsTest.YAML.readTree(DIR.resolve("kustomization.yaml").toFile());
    assertEquals("prometheusrule.yaml", k.at("/resources/0").asText());
    JsonNode g = k.at("/configMapGenerator/0");
    assertEquals("tollgate.json=grafana-dashboard.json", g.at("/files/0").asText());
    assertEquals("1", g.at("/options/labels/grafana_dashboard").asText());
    assertEquals(KubernetesManifestsTest.NAMESPACE, g.get("namespace").asText());
  }

  /** The drift check: what the rules and the dashboard query exists on a running Tollgate. */
  @Test
  void everyMetricAndLabelTheyUseIsExported() throws Exception {
    Map<String, Set<String>> exported = new TreeMap<>();
    try (HazelcastTestCluster cluster = new HazelcastTestCluster(1, 0, Duration.ofSeconds(2))) {
      String name = InProcessServerBuilder.generateName();
      String yaml =
          TestConfigs.yaml("- { scope: user, window: 5m, tokens: 1000000 }", "memory", "deny")
                  .replace(
                      "server: { grpc_port: 0, http_port: 0 }",
                      "server: { grpc_port: 0, http_port: 0, http_address: 127.0.0.1 }")
                  .replace(
                      "deadline_ms: 150", "deadline_ms: 5000") // a cold member on a busy machine
              + """
              alerts:
                webhooks:
                  - { name: ops, url: "http://127.0.0.1:9/hook", format: json }
                rules:
                  - { scope: user, at: [0.8] }
              """;
      Tollgate tollgate =
          Tollgate.start(
              TestConfigs.parse(yaml),
              InProcessServerBuilder.forName(name).directExecutor(),
              null,
              true,
              Clock.systemUTC(),
              new HazelcastQuotaStore(cluster.members.get(0), false));
      ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
      java.nio.file.Path file = java.nio.file.Files.createTempFile("tollgate", ".yaml");
      java.nio.file.Files.writeString(file, yaml);
      tollgate.watch(
          file,
          f -> dev.tollgate.config.ConfigLoader.loadTracked(f, Map.of("UPSTREAM", "sk-up")),
          c -> c,
          Duration.ofMinutes(10));
      try {
        Struct settled = MetricsTraffic.allowed(channel, "alice");
        MetricsTraffic.settle(channel, settled);
        MetricsTraffic.refund(channel, MetricsTraffic.allowed(channel, "bob"));
        MetricsTraffic.check(channel, "sk-not-a-key", "carol", MetricsTraffic.SF_CHAT);
        org.awaitility.Awaitility.await()
            .atMost(Duration.ofSeconds(10))
            .until(
                () ->
                    MetricsTraffic.scrape(tollgate.httpPort())
                        .contains("tollgate_reservations_refunded_total 1"));
        for (String line : MetricsTraffic.scrape(tollgate.httpPort()).split("\n")) {
          if (line.isBlank() || line.startsWith("#")) {
            continue;
          }
          String series = line.substring(0, line.lastIndexOf(' '));
          int brace = series.indexOf('{');
          Set<String> labels =
              exported.computeIfAbsent(
                  brace < 0 ? series : series.substring(0, brace), k -> new TreeSet<>());
          if (brace >= 0) {
            Matcher m = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=\"").matcher(series);
            while (m.find()) {
              labels.add(m.group(1));
            }
          }
        }
      } finally {
        channel.shutdownNow();
        tollgate.close();
      }
    }
    List<String> missing = new ArrayList<>();
    Map<String, String> exprs = expressions();
    assertTrue(exprs.size() >= 20, "expressions: " + exprs.size());
    for (var e : exprs.entrySet()) {
      Set<String> names = metricNames(e.getValue());
      Set<String> available = new TreeSet<>();
      for (String n : names) {
        if (exported.containsKey(n)) {
          available.addAll(exported.get(n));
        } else {
          missing.add(e.getKey() + ": metric " + n);
        }
      }
      if (names.stream().allMatch(exported::containsKey)) {
        for (String label : labelNames(e.getValue())) {
          if (!available.contains(label)) {
            missing.add(e.getKey() + ": label " + label + " (of " + names + ": " + available + ")");
          }
        }
      }
    }
    assertTrue(missing.isEmpty(), "not exported:\n" + String.join("\n", missing));
  }
}
