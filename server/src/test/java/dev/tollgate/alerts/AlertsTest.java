package dev.tollgate.alerts;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.TestConfigs;
import dev.tollgate.admin.Metrics;
import dev.tollgate.config.AlertEvent;
import dev.tollgate.config.AlertsConfig;
import dev.tollgate.quota.Charge;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.Money;
import dev.tollgate.quota.QuotaTarget;
import dev.tollgate.quota.Reservation;
import dev.tollgate.quota.ReserveResult;
import dev.tollgate.quota.Scope;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.Window;
import dev.tollgate.quota.WindowStatus;
import dev.tollgate.testsupport.ManualClock;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The alerts' delivery and rules against a real HTTP receiver, fed reservation results directly: a
 * failing receiver is retried then the alert dropped and counted, a full queue drops and counts,
 * rules replaced while running apply at once, USD and monthly limits, requests that never fit.
 */
class AlertsTest {
  private static final Limit HOUR_TOKENS = new Limit(Window.parse("1h"), Unit.TOKENS, 1000);

  private final ManualClock clock =
      new ManualClock(Instant.parse("2026-11-30T10:15:00Z").toEpochMilli());
  private final Logger logger = (Logger) LoggerFactory.getLogger(AlertDelivery.class);
  private final ListAppender<ILoggingEvent> log = new ListAppender<>();
  private AlertReceiver receiver;
  private Alerts alerts;

  @BeforeEach
  void start() throws Exception {
    receiver = new AlertReceiver();
    log.start();
    logger.addAppender(log);
  }

  @AfterEach
  void stop() {
    logger.detachAppender(log);
    if (alerts != null) {
      alerts.close();
    }
    receiver.close();
  }

  /** The {@code alerts} section of a test configuration, read by the loader. */
  static AlertsConfig config(String alertsYaml) {
    return TestConfigs.parse(
            TestConfigs.yaml(TestConfigs.DEFAULT_LIMITS, "memory", "deny") + alertsYaml)
        .alerts();
  }

  private Alerts start(String alertsYaml, SentAlerts cluster) {
    alerts = Alerts.start(config(alertsYaml), cluster, new AlertBodies("replica-a", "test"), clock);
    return alerts;
  }

  static ReserveResult reserved(Scope scope, String id, Limit limit, long used) {
    QuotaTarget t = new QuotaTarget(scope, QuotaTarget.keyOf(scope, id), List.of(limit), true);
    WindowStatus w =
        new WindowStatus(limit, used, Math.max(0, limit.max() - used), Duration.ofMinutes(1));
    return new ReserveResult.Reserved(
        new Reservation("r1", 0, Charge.ZERO, List.of(t.key())),
        List.of(new ReserveResult.TargetStatus(t, List.of(w))));
  }

  private void awaitIdle() {
    await("every alert delivered or dropped")
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(10))
        .until(() -> alerts.idle());
  }

  private String metrics() throws Exception {
    PrometheusRegistry registry = new PrometheusRegistry();
    Metrics.registerAlerts(registry, alerts.stats());
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(text, registry.scrape());
    return text.toString(StandardCharsets.UTF_8);
  }

  @Test
  void theReadmeExampleLoads() throws Exception {
    String readme =
        java.nio.file.Files.readString(dev.tollgate.testsupport.RepoRoot.resolve("README.md"));
    String section = readme.substring(readme.indexOf("\n## Alerts\n"));
    int start = section.indexOf("```yaml\n") + "```yaml\n".length();
    String example = section.substring(start, section.indexOf("```", start));
    AlertsConfig c =
        dev.tollgate.config.ConfigLoader.parse(
                TestConfigs.yaml(TestConfigs.DEFAULT_LIMITS, "memory", "deny") + example,
                "README.md",
                java.util.Map.of(
                    "UPSTREAM", TestConfigs.UPSTREAM_KEY,
                    "OPS_ALERT_URL", "https://hooks.example/ops",
                    "OPS_ALERT_SECRET", "whsec-0123",
                    "SLACK_WEBHOOK_URL", "https://hooks.slack.example/T0/B0"))
            .alerts();
    assertEquals(2, c.webhooks().size());
    assertEquals(2, c.thresholds().size());
    assertEquals(2, c.events().size());
    assertEquals(AlertsConfig.Delivery.DEFAULTS, c.delivery());
  }

  @Test
  void aFailingReceiverIsRetriedThenTheAlertIsDroppedAndCounted() throws Exception {
    receiver.answer("/down", 500);
    start(
        """
        alerts:
          webhooks:
            - { name: down, url: "%s" }
            - { name: up, url: "%s" }
          rules: [ { event: reload_failed } ]
          delivery: { attempts: 3, backoff: 10ms, timeout: 2s }
        """
            .formatted(receiver.url("/down"), receiver.url("/up")),
        new LocalSentAlerts());
    alerts.event(AlertEvent.RELOAD_FAILED, "tollgate.yaml: tiers: missing");
    awaitIdle();
    assertEquals(3, receiver.on("/down").size(), "three attempts");
    assertEquals(1, receiver.on("/up").size());
    assertEquals(1, alerts.stats().failed("down", AlertStats.Failure.RETRIES_EXHAUSTED));
    assertEquals(0, alerts.stats().sent("down"));
    assertEquals(1, alerts.stats().sent("up"));
    String m = metrics();
    assertTrue(
        m.contains("tollgate_alerts_failed_total{reason=\"retries_exhausted\",webhook=\"down\"} 1")
            || m.contains(
                "tollgate_alerts_failed_total{webhook=\"down\",reason=\"retries_exhausted\"} 1"),
        m);
    assertTrue(m.contains("tollgate_alerts_sent_total{webhook=\"up\"} 1"), m);

    // the log names the webhook and the failure, never its URL
    List<String> lines = log.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    assertTrue(
        lines.stream()
            .anyMatch(
                l ->
                    l.startsWith("alerts.delivery_failed: webhook down:")
                        && l.contains("after 3 attempt(s) (last: status 500)")),
        lines.toString());
    assertTrue(lines.stream().noneMatch(l -> l.contains("127.0.0.1")), lines.toString());
  }

  @Test
  void aReceiverThatIsNotThereIsRetriedThenDroppedWithoutItsUrlInTheLog() throws Exception {
    String url = receiver.url("/gone");
    receiver.close();
    start(
        """
        alerts:
          webhooks: [ { name: gone, url: "%s" } ]
          rules: [ { event: store_unavailable } ]
          delivery: { attempts: 2, backoff: 1ms, timeout: 2s }
        """
            .formatted(url),
        new LocalSentAlerts());
    alerts.event(AlertEvent.STORE_UNAVAILABLE, "store deadline exceeded");
    awaitIdle();
    assertEquals(1, alerts.stats().failed("gone", AlertStats.Failure.RETRIES_EXHAUSTED));
    List<String> lines = log.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    assertTrue(lines.stream().anyMatch(l -> l.contains("webhook gone")), lines.toString());
    assertTrue(lines.stream().noneMatch(l -> l.contains("127.0.0.1")), lines.toString());
    receiver = new AlertReceiver();
  }

  @Test
  void aFullQueueDropsTheAlertAndCountsIt() throws Exception {
    CountDownLatch claiming = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    SentAlerts slow =
        (key, until, now) -> {
          claiming.countDown();
          try {
            release.await(20, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return true;
        };
    start(
        """
        alerts:
          webhooks: [ { name: ops, url: "%s" } ]
          rules: [ { scope: user, at: [0.5] } ]
          delivery: { queue_size: 1 }
        """
            .formatted(receiver.url("/ops")),
        slow);
    alerts.observe("default", reserved(Scope.USER, "u1", HOUR_TOKENS, 600));
    assertTrue(claiming.await(20, TimeUnit.SECONDS), "the first alert is being claimed");
    alerts.observe("default", reserved(Scope.USER, "u2", HOUR_TOKENS, 600)); // queued
    alerts.observe("default", reserved(Scope.USER, "u3", HOUR_TOKENS, 600)); // no room
    assertEquals(1, alerts.stats().failed("ops", AlertStats.Failure.QUEUE_FULL));
    release.countDown();
    awaitIdle();
    assertEquals(2, receiver.on("/ops").size());
    assertTrue(metrics().contains("queue_full"));
  }

  @Test
  void rulesReplacedWhileRunningApplyAtOnce() {
    start(
        """
        alerts:
          webhooks: [ { name: ops, url: "%s" } ]
          rules: [ { scope: user, at: [0.9] } ]
        """
            .formatted(receiver.url("/ops")),
        new LocalSentAlerts());
    alerts.observe("default", reserved(Scope.USER, "ann", HOUR_TOKENS, 850));
    alerts.observe("default", reserved(Scope.KEY, "web", HOUR_TOKENS, 999));
    awaitIdle();
    assertEquals(0, receiver.received().size(), "below 0.9, and no rule for key");

    alerts.update(
        config(
            """
            alerts:
              webhooks: [ { name: ops, url: "%s" } ]
              rules: [ { scope: user, at: [0.8] }, { scope: key, at: [0.99] } ]
            """
                .formatted(receiver.url("/ops2"))));
    alerts.observe("default", reserved(Scope.USER, "ann", HOUR_TOKENS, 850));
    alerts.observe("default", reserved(Scope.KEY, "web", HOUR_TOKENS, 999));
    awaitIdle();
    assertEquals(2, receiver.on("/ops2").size(), receiver.received().toString());

    alerts.update(AlertsConfig.NONE);
    alerts.observe("default", reserved(Scope.USER, "bob", HOUR_TOKENS, 1000));
    alerts.event(AlertEvent.RELOAD_FAILED, "x");
    awaitIdle();
    assertEquals(2, receiver.received().size(), "no rules: nothing sent");
  }

  @Test
  void aMonthlyUsdLimitAlertsOncePerCalendarMonthInDollars() {
    start(
        """
        alerts:
          webhooks: [ { name: ops, url: "%s" } ]
          rules: [ { scope: global, at: [0.5, 0.9] } ]
        """
            .formatted(receiver.url("/ops")),
        new LocalSentAlerts());
    Limit month = new Limit(Window.month(), Unit.NANO_USD, Money.toNanoUsd(new BigDecimal("100")));
    long used = Money.toNanoUsd(new BigDecimal("62.5"));
    alerts.observe("gold", reserved(Scope.GLOBAL, "", month, used));
    alerts.observe("gold", reserved(Scope.GLOBAL, "", month, used + 1));
    awaitIdle();
    assertEquals(1, receiver.received().size(), "0.5 once; 0.9 not reached");
    JsonNode a = receiver.received().get(0).json();
    assertEquals("global", a.get("scope").asText());
    assertEquals("", a.get("id").asText());
    assertEquals("gold", a.get("tier").asText());
    assertEquals("usd", a.get("unit").asText());
    assertEquals(0, new BigDecimal("62.5").compareTo(a.get("used").decimalValue()), a.toString());
    assertEquals(0, new BigDecimal("100").compareTo(a.get("limit").decimalValue()));
    assertEquals("2026-11-01T00:00:00Z", a.get("period_start").asText());
    assertEquals("2026-12-01T00:00:00Z", a.get("period_end").asText());
    assertEquals("replica-a", a.get("replica").asText());
    assertEquals("test", a.get("cluster").asText());

    clock.advance(Duration.ofDays(1).toMillis()); // December
    alerts.observe("gold", reserved(Scope.GLOBAL, "", month, used));
    awaitIdle();
    assertEquals(2, receiver.received().size());
    assertEquals(
        "2027-01-01T00:00:00Z", receiver.received().get(1).json().get("period_end").asText());
  }

  @Test
  void aRefusalIsTheThresholdOneUnlessTheRequestCouldNeverFit() {
    start(
        """
        alerts:
          webhooks: [ { name: ops, url: "%s" } ]
          rules: [ { scope: user, at: [0.8, 1.0] } ]
        """
            .formatted(receiver.url("/ops")),
        new LocalSentAlerts());
    QuotaTarget t = new QuotaTarget(Scope.USER, "user:ann", List.of(HOUR_TOKENS), true);
    WindowStatus w = new WindowStatus(HOUR_TOKENS, 300, 700, Duration.ofMinutes(1));
    alerts.observe(
        "default", new ReserveResult.OverQuota(t, w, Duration.ZERO, true)); // larger than 1000
    awaitIdle();
    assertEquals(0, receiver.received().size());
    alerts.observe("default", new ReserveResult.OverQuota(t, w, Duration.ofMinutes(3), false));
    awaitIdle();
    assertEquals(1, receiver.received().size(), "1.0 only: 0.8 is not reached");
    JsonNode a = receiver.received().get(0).json();
    assertEquals(1.0, a.get("threshold").asDouble());
    assertTrue(a.get("refused").asBoolean());
    assertEquals(300, a.get("used").asLong());
  }
}
