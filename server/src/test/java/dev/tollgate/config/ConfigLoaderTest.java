package dev.tollgate.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.quota.Money;
import dev.tollgate.quota.Scope;
import dev.tollgate.quota.Unit;
import dev.tollgate.testsupport.RepoRoot;
import java.math.BigDecimal;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigLoaderTest {
  static Path resources(String dir) throws URISyntaxException {
    return Path.of(ConfigLoaderTest.class.getResource("/config/" + dir).toURI());
  }

  static Path repoFile(String relative) {
    return RepoRoot.resolve(relative);
  }

  @Test
  void theDefaultConfigLoadsWithNoSetUp() throws Exception {
    TollgateConfig c = ConfigLoader.load(repoFile("server/tollgate.yaml"));
    assertEquals(1, c.keys().size());
    assertEquals("dev", c.keys().get(0).name());
    assertEquals(50051, c.server().grpcPort());
    assertEquals("0.0.0.0", c.server().grpcAddress());
    assertEquals("0.0.0.0", c.server().httpAddress());
    assertEquals("127.0.0.1", c.store().hazelcast().bindInterface());
    assertEquals(StoreConfig.Kind.HAZELCAST, c.store().kind());
    assertEquals(StoreConfig.Mode.EMBEDDED, c.store().hazelcast().mode());
    assertEquals(4, c.tiers().get("default").limits().size());
    assertEquals(
        Money.toNanoUsd(new BigDecimal("5.00")),
        c.tiers().get("default").limitsFor(Scope.USER).get(2).max());
    assertEquals(RequestConfig.PartialBody.DENY, c.request().partialBody());
  }

  @Test
  void everyKeyOfAFullConfigIsRead() throws Exception {
    Path full = resources("good").resolve("full.yaml");
    TollgateConfig c;
    try {
      c = ConfigLoader.load(full);
    } catch (ConfigException e) {
      // ASSERT_A must come from the environment: the test sets it via parse below
      c = null;
    }
    String yaml =
        Files.readString(full)
            .replace("upstream.key", full.getParent().resolve("upstream.key").toString())
            .replace("more-keys.yaml", full.getParent().resolve("more-keys.yaml").toString());
    c = ConfigLoader.parse(yaml, "full.yaml", Map.of("ASSERT_A", "first-assertion-key-0123"));
    assertEquals("sk-upstream-from-file", c.upstream().apiKey().reveal());
    assertEquals(3, c.keys().size());
    assertEquals(Role.ADMIN, c.keys().get(1).role());
    assertEquals(Role.SYSTEM, c.keys().get(2).role());
    assertNull(c.identity().fallback());
    assertEquals("header:x-on-behalf-of", c.identity().sources().get(1).toString());
    assertEquals("x-tollgate-assertion", c.identity().assertion().header());
    assertEquals(2, c.identity().assertion().keys().size());
    assertEquals(Duration.ofMinutes(2), c.identity().assertion().maxTtl());
    TierConfig gold = c.tiers().get("gold");
    assertEquals(512, gold.outputReserveTokens());
    assertEquals(Unit.NANO_USD, gold.limitsFor(Scope.KEY).get(0).unit());
    assertEquals(12_500_000_000L, gold.limitsFor(Scope.KEY).get(0).max());
    assertTrue(gold.limitsFor(Scope.GLOBAL).get(0).window().calendarMonth());
    assertEquals(RoutesConfig.UnknownPath.ALLOW, c.routes().unknownPath());
    assertEquals(List.of(RoutesConfig.OPENAI), c.routes().routes(), "routes: { unknown_path }");
    assertEquals(Duration.ofMillis(500), c.server().permitKeepAliveTime());
    assertEquals(-1, c.server().httpPort());
    assertEquals("127.0.0.1", c.server().grpcAddress());
    assertEquals("::1", c.server().httpAddress());
    assertEquals(StoreConfig.Mode.CLIENT, c.store().hazelcast().mode());
    assertEquals(List.of("10.0.0.1:5701", "hz:5701"), c.store().hazelcast().members());
    assertEquals("tollgate-hz", c.store().hazelcast().kubernetes().serviceName());
    assertEquals(2, c.store().hazelcast().backups());
    assertEquals(Duration.ofMillis(90), c.store().deadline());
    assertEquals(StoreConfig.OnError.ALLOW, c.store().onError());
    assertFalse(c.accounting().addIncludeUsage());
    assertEquals(RequestConfig.PartialBody.ALLOW, c.request().partialBody());
    assertEquals(new BigDecimal("1.25"), c.models().get("gpt-4o").cachedInputUsdPerMtok());
    AlertsConfig alerts = c.alerts();
    assertEquals(2, alerts.webhooks().size());
    assertEquals(AlertsConfig.Format.SLACK, alerts.webhooks().get(1).format());
    assertEquals("hooks.slack.example", alerts.webhooks().get(1).url().getHost());
    assertEquals("sk-upstream-from-file", alerts.webhooks().get(1).secret().reveal());
    assertEquals(List.of(0.8, 1.0), alerts.thresholds().get(0).at());
    assertEquals(Scope.GLOBAL, alerts.thresholds().get(1).scope());
    assertEquals(
        java.util.Set.of(AlertEvent.STORE_UNAVAILABLE, AlertEvent.RELOAD_FAILED), alerts.events());
    assertEquals(
        new AlertsConfig.Delivery(Duration.ofSeconds(2), 4, Duration.ofMillis(250), 50),
        alerts.delivery());
    assertFalse(alerts.toString().contains("hooks.example"), "webhook URLs are secrets");
    assertFalse(alerts.toString().contains("whsec-inline"), "webhook secrets are secrets");
  }

  @Test
  void routesAsAListWithRequestLimitsShadowAndFailurePolicies() throws Exception {
    TollgateConfig c =
        ConfigLoader.parse(
            """
            upstream: { api_key: "sk-up" }
            keys:
              - { name: chatgpt, sha256: "264b569076c044187d7d721344697fa6fe227c3f68e6e8752f7c5477a860d9ab", tier: default }
            models:
              gpt-4o-mini: { input_usd_per_mtok: 0.15, output_usd_per_mtok: 0.60 }
            tiers:
              default:
                models: [gpt-4o-mini]
                limits:
                  - { scope: user, window: 1m, requests: 60 }
              gpt-action:
                models: [gpt-4o-mini]
                limits:
                  - { scope: conversation, window: 1m, requests: 10 }
            routes:
              - { prefix: /V1/, count: openai }
              - { prefix: /actions/, methods: [get, POST], count: requests, tier: gpt-action }
            unknown_path: allow
            """,
            "routes.yaml",
            Map.of());
    RoutesConfig r = c.routes();
    assertEquals(RoutesConfig.UnknownPath.ALLOW, r.unknownPath());
    assertEquals(
        List.of(
            new RoutesConfig.Route("/v1/", java.util.Set.of(), RoutesConfig.Count.OPENAI, null),
            new RoutesConfig.Route(
                "/actions/",
                java.util.Set.of("GET", "POST"),
                RoutesConfig.Count.REQUESTS,
                "gpt-action")),
        r.routes());
    assertEquals(r.routes().get(1), r.match("get", "/actions/run"));
    assertNull(r.match("DELETE", "/actions/run"));
    assertEquals(Unit.REQUESTS, c.tiers().get("default").limitsFor(Scope.USER).get(0).unit());
    assertEquals(60, c.tiers().get("default").limitsFor(Scope.USER).get(0).max());
    // the form before routes were a list still reads, with the OpenAI API as the one route
  }

  static Stream<Path> badConfigs() throws Exception {
    try (Stream<Path> s = Files.list(resources("bad"))) {
      List<Path> files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
      assertTrue(files.size() >= 20);
      return files.stream();
    }
  }

  @ParameterizedTest
  @MethodSource("badConfigs")
  void badConfigsNameFileKeyAndExpectation(Path file) throws Exception {
    String first = Files.readAllLines(file).get(0);
    assertTrue(first.startsWith("# expect: "), file + " must start with '# expect: ...'");
    String expected = first.substring("# expect: ".length());
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
    String all = String.join("\n", e.errors());
    assertTrue(
        all.contains(expected), file.getFileName() + ": expected '" + expected + "' in:\n" + all);
    for (String err : e.errors()) {
      assertTrue(err.startsWith(file.toString() + ": "), "names the file: " + err);
    }
    assertFalse(all.contains("sk-upstream-in-bad-config"), "secrets never appear in errors");
  }

  @Test
  void aSyntaxErrorSaysWhereAndWhatButQuotesNothing() {
    String yaml =
        """
        upstream:
          api_key: sk-live-inline-secret-0123: oops
        keys: []
        """;
    ConfigException e =
        assertThrows(
            ConfigException.class, () -> ConfigLoader.parse(yaml, "inline.yaml", Map.of()));
    assertEquals(
        List.of(
            "inline.yaml: YAML syntax error at line 2, column 38: mapping values are not allowed here"
                + " (expected: valid YAML)"),
        e.errors());
    String all = e.getMessage();
    for (String fragment : List.of("sk-live", "oops", "api_key", "^", "reader")) {
      assertFalse(all.contains(fragment), "the error quotes the file (" + fragment + "): " + all);
    }
  }

  @Test
  void namesTheParserTakesFromTheFileAreNotQuotedEither() {
    for (String yaml :
        List.of(
            "upstream:\n\tapi_key: sk-live-tab-0123\n",
            "upstream: { api_key: \"sk-live-escape\\q-0123\" }\n",
            "upstream: { api_key: \"sk-live-unclosed-0123 }\n",
            "upstream: [ sk-live-flow-0123: x: y ]\n")) {
      ConfigException e =
          assertThrows(
              ConfigException.class, () -> ConfigLoader.parse(yaml, "names.yaml", Map.of()), yaml);
      assertTrue(
          e.getMessage().startsWith("names.yaml: YAML syntax error at line "), e.getMessage());
      assertFalse(e.getMessage().contains("sk-live"), e.getMessage());
      assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }
  }

  @Test
  void aDuplicateKeyIsAnErrorNamingItsPathNotItsValues() {
    String yaml =
        """
        upstream:
          api_key: "sk-live-first-0123"
          api_key: "sk-live-second-4567"
        """;
    ConfigException e =
        assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, "dup.yaml", Map.of()));
    assertEquals(
        List.of(
            "dup.yaml: upstream.api_key: duplicate key at line 3, column 3 (expected: each key once in a mapping)"),
        e.errors());
    assertFalse(e.getMessage().contains("sk-live"), e.getMessage());
  }

  @Test
  void listenAddressesAcceptIpLiteralsAndHostNames() throws Exception {
    String base = Files.readString(repoFile("server/tollgate.yaml"));
    for (String ok :
        List.of(
            "127.0.0.1",
            "0.0.0.0",
            "\"::\"",
            "\"fd00::5\"",
            "localhost",
            "tollgate.tollgate.svc")) {
      TollgateConfig c =
          ConfigLoader.parse(
              base.replace("grpc_address: 0.0.0.0 ", "grpc_address: " + ok + " "),
              "addr.yaml",
              Map.of());
      assertEquals(ok.replace("\"", ""), c.server().grpcAddress());
    }
    for (String bad : List.of("\"\"", "256.1.1.1", "\"a b\"", "-host", "\"::g\"", "1.2.3")) {
      ConfigException e =
          assertThrows(
              ConfigException.class,
              () ->
                  ConfigLoader.parse(
                      base.replace("http_address: 0.0.0.0 ", "http_address: " + bad + " "),
                      "addr.yaml",
                      Map.of()),
              bad);
      assertTrue(e.getMessage().contains("addr.yaml: server.http_address: "), e.getMessage());
    }
  }

  @Test
  void theHazelcastInterfaceIsAnAddressOrAPattern() throws Exception {
    String base = Files.readString(repoFile("server/tollgate.yaml"));
    for (String ok : List.of("10.0.0.5", "10.0.0.*", "10.0.1-9.*", "0.0.0.0", "\"${POD_IP}\"")) {
      TollgateConfig c =
          ConfigLoader.parse(
              base.replace("interface: 127.0.0.1 ", "interface: " + ok + " "),
              "hz.yaml",
              Map.of("POD_IP", "10.244.0.9"));
      assertEquals(
          ok.equals("\"${POD_IP}\"") ? "10.244.0.9" : ok, c.store().hazelcast().bindInterface());
    }
    for (String bad : List.of("eth0", "10.0.0", "10.0.0.300", "10.0.*", "\"\"")) {
      ConfigException e =
          assertThrows(
              ConfigException.class,
              () ->
                  ConfigLoader.parse(
                      base.replace("interface: 127.0.0.1 ", "interface: " + bad + " "),
                      "hz.yaml",
                      Map.of()),
              bad);
      assertTrue(e.getMessage().contains("hz.yaml: store.hazelcast.interface: "), e.getMessage());
    }
  }

  @Test
  void theMinimumClusterSizeIsAPositiveCountForAnEmbeddedMember() throws Exception {
    // a cluster keeps its usage in a shared database (or nowhere), never in one member's file
    String base =
        Files.readString(repoFile("server/tollgate.yaml"))
            .replace("    type: file ", "    type: none ");
    assertEquals(
        1, ConfigLoader.parse(base, "hz.yaml", Map.of()).store().hazelcast().minClusterSize());
    String two = base.replace("min_cluster_size: 1 ", "min_cluster_size: 2 ");
    assertEquals(
        2, ConfigLoader.parse(two, "hz.yaml", Map.of()).store().hazelcast().minClusterSize());
    for (String bad : List.of("0", "-1", "two", "101")) {
      ConfigException e =
          assertThrows(
              ConfigException.class,
              () ->
                  ConfigLoader.parse(
                      base.replace("min_cluster_size: 1 ", "min_cluster_size: " + bad + " "),
                      "hz.yaml",
                      Map.of()),
              bad);
      assertTrue(
          e.getMessage().contains("hz.yaml: store.hazelcast.min_cluster_size: "), e.getMessage());
    }
    String client =
        two.replace("mode: embedded ", "mode: client ")
            .replace("    interface: 127.0.0.1 ", "    # interface: ");
    ConfigException e =
        assertThrows(ConfigException.class, () -> ConfigLoader.parse(client, "hz.yaml", Map.of()));
    assertTrue(
        e.getMessage().contains("hz.yaml: store.hazelcast.min_cluster_size: "), e.getMessage());
  }

  @Test
  void everyErrorIsReportedTogether() {
    String yaml =
        """
        upstream: { api_key: "x" }
        keys: [ { name: a, sha256: zz, tier: nope } ]
        models: { m: { encoding: bogus } }
        tiers: { t: { models: [m, n], limits: [ { scope: usr, window: 1y, tokens: -1 } ] } }
        extra: 1
        """;
    ConfigException e =
        assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, "multi.yaml", Map.of()));
    assertTrue(e.errors().size() >= 7, String.join("\n", e.errors()));
  }

  @Test
  void environmentExpansionAndSecretsNeverPrinted() throws Exception {
    String yaml =
        """
        upstream: { api_key: "${KEY}" }
        keys: [ { name: a, sha256: "%s", tier: t } ]
        models: { m: {} }
        tiers: { t: { models: [m] } }
        store: { deadline_ms: "${DEADLINE:-120}" }
        """
            .formatted("a".repeat(64));
    TollgateConfig c = ConfigLoader.parse(yaml, "env.yaml", Map.of("KEY", "sk-live-very-secret"));
    assertEquals("sk-live-very-secret", c.upstream().apiKey().reveal());
    assertEquals(Duration.ofMillis(120), c.store().deadline());
    assertFalse(c.toString().contains("sk-live-very-secret"));
    assertFalse(c.upstream().toString().contains("sk-live-very-secret"));
    ConfigException e =
        assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, "env.yaml", Map.of()));
    assertTrue(
        e.errors().get(0).contains("upstream.api_key: environment variable KEY is not set"),
        e.getMessage());
  }
}
