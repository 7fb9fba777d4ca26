package dev.tollgate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.logging.LogEncoder;
import dev.tollgate.quota.InMemoryQuotaStore;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * {@code server.log_format}: the decisions of a running Tollgate logged at debug, one line each, as
 * JSON lines with one field per value (or text with {@code key=value}), and nothing secret in them.
 */
class LogFormatTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private OutputStreamAppender<ILoggingEvent> appender;
  private Logger admission;
  private Level level;

  @BeforeEach
  void capture() {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    LogEncoder encoder = new LogEncoder();
    encoder.setContext(ctx);
    encoder.start();
    appender = new OutputStreamAppender<>();
    appender.setContext(ctx);
    appender.setEncoder(encoder);
    appender.setOutputStream(out);
    appender.start();
    admission = ctx.getLogger("dev.tollgate.admission");
    level = admission.getLevel();
    admission.setLevel(Level.DEBUG);
    admission.setAdditive(false);
    admission.addAppender(appender);
  }

  @AfterEach
  void release() {
    LogEncoder.useJson(false);
    admission.detachAppender(appender);
    admission.setAdditive(true);
    admission.setLevel(level);
    appender.stop();
  }

  /** Three decisions: allowed, a wrong key, over quota. */
  private String decide() throws Exception {
    try (InProcessReplica r =
        new InProcessReplica(
            InProcessReplica.config("- { scope: user, window: 5m, tokens: 400 }", "memory"),
            new InMemoryQuotaStore())) {
      assertTrue(r.check("alice", 16).hasOkResponse());
      assertEquals(
          401, r.check("sk-not-a-key", "alice", 16).getDeniedResponse().getStatus().getCodeValue());
      assertEquals(429, r.check("alice", 370).getDeniedResponse().getStatus().getCodeValue());
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void jsonLinesHoldOneFieldPerValueAndNoSecret() throws Exception {
    LogEncoder.useJson(true);
    String text = decide();

    ObjectMapper json = new ObjectMapper();
    List<JsonNode> decisions = new ArrayList<>();
    for (String line : text.split("\n")) {
      JsonNode n = json.readTree(line); // every line is one JSON object
      assertTrue(n.isObject(), line);
      for (String f : List.of("ts", "level", "logger", "thread", "message")) {
        assertTrue(n.hasNonNull(f), f + " in " + line);
      }
      if (n.get("message").asText().equals("admission.decision")) {
        decisions.add(n);
      }
    }
    assertEquals(3, decisions.size(), text);
    JsonNode allow = decisions.get(0);
    assertEquals("allow", allow.get("reason").asText());
    assertEquals("admission.decision", allow.get("event").asText());
    assertEquals(200, allow.get("status").asInt());
    assertEquals("DEBUG", allow.get("level").asText());
    assertEquals("dev.tollgate.admission.Admission", allow.get("logger").asText());
    assertEquals("/v1/chat/completions", allow.get("path").asText());
    assertEquals("web", allow.get("key").asText());
    assertEquals("default", allow.get("tier").asText());
    assertEquals("gpt-4o-mini", allow.get("model").asText());
    assertEquals("alice", allow.get("user").asText());
    assertTrue(allow.get("reserved_tokens").isNumber(), allow.toString());
    assertTrue(allow.get("micros").isNumber(), allow.toString());
    JsonNode badKey = decisions.get(1);
    assertEquals("auth.invalid_key", badKey.get("reason").asText());
    assertEquals(401, badKey.get("status").asInt());
    assertFalse(badKey.has("key"), "an unknown key has no name, and its value is never logged");
    JsonNode over = decisions.get(2);
    assertEquals("quota.exceeded", over.get("reason").asText());
    assertEquals(429, over.get("status").asInt());
    assertEquals("user", over.get("binding_scope").asText());

    for (String secret :
        List.of(
            TestConfigs.SERVICE_KEY,
            "sk-not-a-key",
            InProcessReplica.ADMIN_KEY,
            TestConfigs.UPSTREAM_KEY,
            "Say hello")) {
      assertFalse(text.contains(secret), "the logs hold " + secret);
    }
  }

  @Test
  void aReasonCodeOpeningAMessageIsItsOwnField() throws Exception {
    LogEncoder.useJson(true);
    org.slf4j.LoggerFactory.getLogger(dev.tollgate.admission.Admission.class)
        .warn("store.unavailable: {} (policy {})", "timeout after 150 ms", "DENY");
    org.slf4j.LoggerFactory.getLogger(dev.tollgate.admission.Admission.class)
        .warn("Something without a code");
    String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
    ObjectMapper json = new ObjectMapper();
    JsonNode coded = json.readTree(lines[0]);
    assertEquals("store.unavailable", coded.get("event").asText());
    assertEquals(
        "store.unavailable: timeout after 150 ms (policy DENY)", coded.get("message").asText());
    assertEquals("WARN", coded.get("level").asText());
    assertFalse(json.readTree(lines[1]).has("event"));
  }

  @Test
  void textLinesEndWithTheFieldsAsKeyValuePairs() throws Exception {
    String text = decide();
    String allow =
        text.lines().filter(l -> l.contains("admission.decision")).findFirst().orElseThrow();
    assertTrue(
        allow.contains("admission.decision reason=allow status=200 path=/v1/chat/completions api="),
        allow);
    assertTrue(allow.contains(" tier=default model=gpt-4o-mini user=alice "), allow);
    assertFalse(text.contains(TestConfigs.SERVICE_KEY));
    assertFalse(text.contains(TestConfigs.UPSTREAM_KEY));
  }

  @Test
  void theShippedConfigurationWritesThroughTheSwitchableEncoder() {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    var console = ctx.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR");
    assertInstanceOf(OutputStreamAppender.class, console);
    var encoder = ((OutputStreamAppender<ILoggingEvent>) console).getEncoder();
    assertInstanceOf(LogEncoder.class, encoder);
    assertFalse(encoder instanceof LayoutWrappingEncoder);
  }
}
