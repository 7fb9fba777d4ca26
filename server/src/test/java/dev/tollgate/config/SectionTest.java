package dev.tollgate.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The parts every section reader is built from: declared keys, the reading, the duration grammar.
 */
class SectionTest {
  private static final SectionKeys KEYS = SectionKeys.of("demo", "port", "grace", "mode");

  private static Section open(Reading r, String yaml) throws Exception {
    return r.section(YamlText.parse(yaml), "demo", KEYS, true);
  }

  @Test
  void keysNobodyDeclaredAreReportedWhenTheSectionOpens() throws Exception {
    Reading r = new Reading("s.yaml", Map.of(), Path.of(""));
    open(r, "{ port: 1, prot: 2 }");
    assertEquals(
        List.of("s.yaml: demo.prot: unknown key (expected: one of [grace, mode, port])"),
        r.errors());
  }

  @Test
  void theSectionRecordsTheKeysItsReaderReadAndRefusesUndeclaredOnes() throws Exception {
    Reading r = new Reading("s.yaml", Map.of(), Path.of(""));
    Section s = open(r, "{ port: 8080 }");
    assertEquals(8080, s.integer("port", 1, 65535, 1));
    assertNull(s.duration("grace"));
    assertEquals(Set.of("port", "grace"), s.read());
    assertThrows(IllegalStateException.class, () -> s.has("prot"));
    assertTrue(r.errors().isEmpty(), r.errors().toString());
  }

  @Test
  void absentKeysGiveTheDefaultTheRecordHolds() throws Exception {
    Reading r = new Reading("s.yaml", Map.of(), Path.of(""));
    Section s = open(r, "{}");
    assertEquals(StoreConfig.OnError.DENY, s.oneOf("mode", StoreConfig.DEFAULTS.onError()));
    assertEquals(5701, s.integer("port", 1, 65535, StoreConfig.HazelcastConfig.DEFAULTS.port()));
    assertTrue(r.errors().isEmpty(), r.errors().toString());
  }

  @Test
  void aChoiceListsTheEnumsValuesInLowerCase() throws Exception {
    Reading r = new Reading("s.yaml", Map.of(), Path.of(""));
    assertEquals(
        StoreConfig.OnError.DENY,
        open(r, "{ mode: maybe }").oneOf("mode", StoreConfig.OnError.DENY));
    assertEquals(List.of("s.yaml: demo.mode: 'maybe' (expected: deny or allow)"), r.errors());
  }

  @Test
  void oneDurationGrammarForTheWholeFile() throws Exception {
    assertEquals(Duration.ofMillis(500), DurationText.parse("500ms"));
    assertEquals(Duration.ofSeconds(10), DurationText.parse(" 10s "));
    assertEquals(Duration.ofMinutes(5), DurationText.parse("5m"));
    assertEquals(Duration.ofHours(1), DurationText.parse("1h"));
    assertEquals(Duration.ZERO, DurationText.parse("0s"));
    for (String bad : List.of("", "5", "1.5s", "-1s", "1d", "5 m", "PT5M", "month")) {
      assertNull(DurationText.parse(bad), bad);
    }
    Reading r = new Reading("s.yaml", Map.of(), Path.of(""));
    assertNull(open(r, "{ grace: 5 }").duration("grace"));
    assertEquals(
        List.of("s.yaml: demo.grace: '5' (expected: a duration such as 500ms, 10s, 5m or 1h)"),
        r.errors());
  }

  @Test
  void theSchemaIsWhatTheReadersDeclare() {
    assertEquals(
        Set.of("cert_file", "key_file", "client_ca_file"), ConfigLoader.SCHEMA.get("server.tls"));
    assertEquals(ServerReader.SERVER.keys(), ConfigLoader.SCHEMA.get("server"));
    assertEquals(
        Set.of(
            "upstream",
            "keys",
            "keys_file",
            "identity",
            "models",
            "tiers",
            "routes",
            "unknown_path",
            "server",
            "store",
            "accounting",
            "request",
            "alerts"),
        ConfigLoader.SCHEMA.get(""));
  }

  /** A key declared but never read would be accepted and silently ignored. */
  @Test
  void everyDeclaredKeyIsReadByItsReader() throws Exception {
    Path dir = ConfigLoaderTest.resources("good");
    String full = java.nio.file.Files.readString(dir.resolve("full.yaml"));
    String more =
        """
        upstream: { injected_by: envoy }
        keys: [ { name: a, sha256: "%s" } ]
        models: { m: {} }
        tiers: { default: { models: [m] } }
        server: { tls: { cert_file: upstream.key, key_file: upstream.key, client_ca_file: upstream.key } }
        store: { hazelcast: { interface: 127.0.0.1, min_cluster_size: 2, kubernetes: { service_dns: hz } } }
        accounting: { ticket_keys: ["%s"], pending_ttl: 2h, pending_expiry: release, missing_usage: observed }
        """
            .formatted("a".repeat(64), "t".repeat(32));
    String minimal =
        """
        upstream: { injected_by: envoy }
        keys: [ { name: a, sha256: "%s" } ]
        models: { m: {} }
        tiers: { default: { models: [m] } }
        """
            .formatted("a".repeat(64));
    String jdbc = "{ type: jdbc, jdbc_url: \"jdbc:postgresql://db:5432/t\", username: u, ";
    List<String> persistence =
        List.of(
            "{ type: file, path: d, write_delay: 3s, retention_days: 10, pool_size: 2 }",
            jdbc + "password: p }",
            jdbc + "password_env: DB_PASSWORD }",
            jdbc + "password_file: upstream.key }");
    List<String> all = new java.util.ArrayList<>(List.of(full, more));
    persistence.forEach(p -> all.add(minimal + "store: { persistence: " + p + " }\n"));
    all.add(
        minimal
            + "routes:\n  - { prefix: /a/, methods: [GET], count: requests, tier: default }\n"
            + "unknown_path: allow\n");
    Map<String, Set<String>> read = new java.util.HashMap<>();
    for (String yaml : all) {
      Reading r =
          new Reading(
              "every.yaml",
              Map.of("ASSERT_A", "first-assertion-key-0123", "DB_PASSWORD", "pw"),
              dir);
      ConfigLoader.read(r, "every.yaml", yaml, null);
      assertEquals(List.of(), r.errors());
      for (Section s : r.sections()) {
        read.computeIfAbsent(s.keys().path(), p -> new java.util.HashSet<>()).addAll(s.read());
      }
    }
    assertEquals(ConfigLoader.SCHEMA, read);
  }
}
