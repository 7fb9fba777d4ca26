package dev.tollgate.alerts;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.TestConfigs;
import dev.tollgate.Tollgate;
import dev.tollgate.config.AlertEvent;
import dev.tollgate.config.TollgateConfig;
import dev.tollgate.quota.ForwardingQuotaStore;
import dev.tollgate.quota.InMemoryQuotaStore;
import dev.tollgate.quota.KeyReserveResult;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.QuotaStore;
import dev.tollgate.testsupport.EnvoyChecks;
import dev.tollgate.testsupport.ManualClock;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Alerts through a running Tollgate (in-process gRPC, in-memory store) to a real HTTP receiver: a
 * crossing seen by many Checks is sent once per threshold, in JSON (signed) and Slack formats; a
 * store failure and a reload failure are sent once a minute.
 */
class AlertsCheckTest {
  private static final String LIMITS =
      """
      - { scope: user,   window: 1h, tokens: 2000 }
      - { scope: global, window: 1h, tokens: 1000000 }
      """;
  private static final String SECRET = "whsec-test-0123456789";

  private final ManualClock clock =
      new ManualClock(Instant.parse("2026-11-30T10:15:00Z").toEpochMilli());
  private final AtomicBoolean storeDown = new AtomicBoolean();
  private AlertReceiver receiver;
  private Tollgate tollgate;
  private ManagedChannel channel;
  private String yaml;

  @BeforeEach
  void start() throws Exception {
    receiver = new AlertReceiver();
    yaml =
        TestConfigs.yaml(LIMITS, "memory", "deny")
            + """
            alerts:
              webhooks:
                - { name: ops, url: "%s", format: json, secret: "%s" }
                - { name: chat, url: "%s", format: slack }
              rules:
                - { scope: user, at: [0.8, 1.0] }
                - { scope: global, at: [0.5] }
                - { event: store_unavailable }
                - { event: reload_failed }
              delivery: { timeout: 5s, attempts: 2, backoff: 10ms }
            """
                .formatted(receiver.url("/ops"), SECRET, receiver.url("/chat"));
    TollgateConfig config = TestConfigs.parse(yaml);
    QuotaStore store =
        new ForwardingQuotaStore(new InMemoryQuotaStore()) {
          @Override
          public CompletionStage<KeyReserveResult> reserve(
              String key, List<Limit> limits, dev.tollgate.quota.Charge c, long now, boolean e) {
            return storeDown.get()
                ? CompletableFuture.failedFuture(new IllegalStateException("connection lost"))
                : super.reserve(key, limits, c, now, e);
          }
        };
    String name = InProcessServerBuilder.generateName();
    tollgate =
        Tollgate.start(
            config,
            InProcessServerBuilder.forName(name).directExecutor(),
            null,
            false,
            clock,
            store);
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    tollgate.close();
    receiver.close();
  }

  private CheckResponse check(String user, int maxTokens) {
    return AuthorizationGrpc.newBlockingStub(channel)
        .check(
            EnvoyChecks.post("/v1/chat/completions")
                .bearer(TestConfigs.SERVICE_KEY)
                .header("x-on-behalf-of", user)
                .json(
                    "{\"model\":\"gpt-4o-mini\",\"max_tokens\":"
                        + maxTokens
                        + ",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}")
                .build());
  }

  private long used(String user) {
    Limit hour =
        new Limit(dev.tollgate.quota.Window.parse("1h"), dev.tollgate.quota.Unit.TOKENS, 2000);
    return tollgate
        .quotas()
        .status("user:" + user, List.of(hour))
        .toCompletableFuture()
        .join()
        .get(0)
        .used();
  }

  private static boolean allowed(CheckResponse r) {
    return r.getStatus().getCode() == 0;
  }

  private void awaitIdle() {
    await("every alert delivered")
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(10))
        .until(() -> tollgate.alerts().idle());
  }

  private static String hmac(String secret, String text) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void eachThresholdIsSentOnceHoweverManyChecksCrossIt() throws Exception {
    // ~110 tokens a Check: from the 15th on, alice has used 80% of 2000; refused near the 19th
    int allowedAbove80 = 0;
    int refused = 0;
    for (int i = 0; i < 25; i++) {
      CheckResponse r = check("alice", 100);
      if (!allowed(r)) {
        refused++;
      } else if (used("alice") >= 1600) {
        allowedAbove80++;
      }
    }
    assertTrue(refused >= 5, "alice is refused at the end: " + refused);
    awaitIdle();
    assertTrue(allowedAbove80 >= 2, "several Checks saw alice above 80%: " + allowedAbove80);
    // delivered concurrently: in threshold order for the assertions
    List<AlertReceiver.Received> ops =
        receiver.on("/ops").stream()
            .sorted(java.util.Comparator.comparingDouble(r -> r.json().get("threshold").asDouble()))
            .toList();
    assertEquals(2, ops.size(), "one alert per threshold: " + ops);
    assertEquals(2, receiver.on("/chat").size());

    JsonNode at80 = ops.get(0).json();
    assertEquals("threshold", at80.get("type").asText());
    assertEquals("user", at80.get("scope").asText());
    assertEquals("alice", at80.get("id").asText());
    assertEquals("default", at80.get("tier").asText());
    assertEquals("1h", at80.get("window").asText());
    assertEquals("tokens", at80.get("unit").asText());
    assertEquals(2000, at80.get("limit").asLong());
    assertEquals(0.8, at80.get("threshold").asDouble());
    long used = at80.get("used").asLong();
    assertTrue(used >= 1600 && used < 2000, "used " + used);
    assertFalse(at80.get("refused").asBoolean());
    assertEquals("2026-11-30T10:00:00Z", at80.get("period_start").asText());
    assertEquals("2026-11-30T11:00:00Z", at80.get("period_end").asText());
    assertEquals("2026-11-30T10:15:00Z", at80.get("at").asText());
    assertFalse(at80.get("replica").asText().isEmpty());

    JsonNode full = ops.get(1).json();
    assertEquals(1.0, full.get("threshold").asDouble());
    assertTrue(full.get("refused").asBoolean(), "1.0 is reached when a request is refused");

    // the signature: hex HMAC-SHA256 of "<timestamp>.<body>"
    AlertReceiver.Received signed = ops.get(0);
    String ts = signed.header(AlertBodies.TIMESTAMP_HEADER);
    assertEquals(Long.toString(clock.millis() / 1000), ts);
    assertEquals(
        "sha256=" + hmac(SECRET, ts + "." + signed.body()),
        signed.header(AlertBodies.SIGNATURE_HEADER));
    assertEquals("application/json", signed.header("content-type"));

    // Slack: one line of text, unsigned
    AlertReceiver.Received slack =
        receiver.on("/chat").stream()
            .filter(r -> r.json().get("text").asText().contains("80%"))
            .findFirst()
            .orElseThrow();
    assertNull(slack.header(AlertBodies.SIGNATURE_HEADER));
    String text = slack.json().get("text").asText();
    assertTrue(text.contains("user alice has used 80% of its 1h token limit"), text);
    assertTrue(text.contains("of 2,000 tokens (tier default)"), text);
    assertTrue(text.contains("The period ends 2026-11-30T11:00:00Z"), text);
    assertEquals(1, slack.json().size(), "Slack takes {\"text\": ...}");

    // another user below the threshold: nothing; alice's next period: sent again
    assertTrue(allowed(check("bob", 100)));
    awaitIdle();
    assertEquals(2, receiver.on("/ops").size());
    clock.advance(Duration.ofHours(2).toMillis());
    for (int i = 0; i < 16; i++) {
      check("alice", 100);
    }
    awaitIdle();
    assertEquals(3, receiver.on("/ops").size());
    assertEquals(
        "2026-11-30T13:00:00Z", receiver.on("/ops").get(2).json().get("period_end").asText());
    assertTrue(tollgate.alerts().stats().failed().values().stream().allMatch(n -> n == 0));
    assertEquals(3, tollgate.alerts().stats().sent("ops"));
    assertEquals(3, tollgate.alerts().stats().sent("chat"));
  }

  @Test
  void aStoreFailureIsSentOnceAMinute() {
    storeDown.set(true);
    for (int i = 0; i < 5; i++) {
      assertFalse(allowed(check("carol", 10)), "on_error: deny");
    }
    awaitIdle();
    List<AlertReceiver.Received> ops = receiver.on("/ops");
    assertEquals(1, ops.size(), ops.toString());
    JsonNode e = ops.get(0).json();
    assertEquals("event", e.get("type").asText());
    assertEquals("store_unavailable", e.get("event").asText());
    assertTrue(e.get("detail").asText().contains("connection lost"), e.toString());
    assertTrue(
        receiver
            .on("/chat")
            .get(0)
            .json()
            .get("text")
            .asText()
            .startsWith("Tollgate: store_unavailable: "));

    clock.advance(Duration.ofMinutes(1).toMillis());
    check("carol", 10);
    awaitIdle();
    assertEquals(2, receiver.on("/ops").size());
  }

  @Test
  void aReloadFailureIsReportedThroughTheRunningAlerts() {
    tollgate.alerts().event(AlertEvent.RELOAD_FAILED, "tollgate.yaml: tiers: missing");
    tollgate.alerts().event(AlertEvent.RELOAD_FAILED, "tollgate.yaml: tiers: missing");
    awaitIdle();
    List<AlertReceiver.Received> ops = receiver.on("/ops");
    assertEquals(1, ops.size());
    assertEquals("reload_failed", ops.get(0).json().get("event").asText());
    assertEquals("tollgate.yaml: tiers: missing", ops.get(0).json().get("detail").asText());
    assertEquals(
        Instant.parse("2026-11-30T10:15:00Z").toString(), ops.get(0).json().get("at").asText());
  }

  @Test
  void aWatchedFileThatBreaksIsAlerted(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    java.nio.file.Path file = dir.resolve("tollgate.yaml");
    java.nio.file.Files.writeString(file, yaml);
    tollgate.watch(
        file,
        f ->
            dev.tollgate.config.ConfigLoader.loadTracked(
                f, java.util.Map.of("UPSTREAM", TestConfigs.UPSTREAM_KEY)),
        c -> c,
        Duration.ofMinutes(10));

    java.nio.file.Files.writeString(file, yaml.replace("tiers:", "tierz:"));

    await().atMost(Duration.ofSeconds(20)).until(() -> !receiver.on("/ops").isEmpty());
    JsonNode alert = receiver.on("/ops").get(0).json();
    assertEquals("reload_failed", alert.get("event").asText());
    assertTrue(alert.get("detail").asText().contains("tierz"), alert.toString());
    assertFalse(alert.toString().contains(TestConfigs.UPSTREAM_KEY), "no secret in an alert");
  }
}
