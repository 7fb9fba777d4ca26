package dev.tollgate.envoy.authz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.rpc.Code;
import dev.tollgate.TestConfigs;
import dev.tollgate.Tollgate;
import dev.tollgate.auth.OnBehalfOfAssertions;
import dev.tollgate.config.Secret;
import dev.tollgate.config.TollgateConfig;
import dev.tollgate.quota.InMemoryQuotaStore;
import dev.tollgate.testsupport.EnvoyChecks;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * In-process gRPC: requests that must be refused with the client's error (4xx naming the problem),
 * never a 500 and never an allow.
 */
class RefusedRequestsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CHAT = "/v1/chat/completions";
  private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
  private static final Secret ASSERTION_KEY = new Secret("assertion-key-0123456789", "test");
  private Tollgate tollgate;
  private ManagedChannel channel;

  private AuthorizationGrpc.AuthorizationBlockingStub start(TollgateConfig config)
      throws Exception {
    String name = InProcessServerBuilder.generateName();
    tollgate =
        Tollgate.start(
            config,
            InProcessServerBuilder.forName(name).directExecutor(),
            null,
            false,
            Clock.fixed(NOW, ZoneOffset.UTC),
            new InMemoryQuotaStore());
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    return AuthorizationGrpc.newBlockingStub(channel);
  }

  private AuthorizationGrpc.AuthorizationBlockingStub start() throws Exception {
    return start(TestConfigs.withLimits(TestConfigs.DEFAULT_LIMITS));
  }

  @AfterEach
  void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (tollgate != null) {
      tollgate.close();
    }
  }

  private static JsonNode error(CheckResponse r) throws Exception {
    return JSON.readTree(r.getDeniedResponse().getBody()).get("error");
  }

  private static int status(CheckResponse r) {
    return r.getDeniedResponse().getStatus().getCodeValue();
  }

  private static final String HELLO =
      "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]";

  // ---------------------------------------------------------------- signed assertions

  @Test
  void invalidAssertionsAre401WithAReasonNot500() throws Exception {
    String yaml =
        TestConfigs.yaml(TestConfigs.DEFAULT_LIMITS, "memory", "deny")
            .replace("  sources: [", "  sources: [assertion, ")
            .replace(
                "  fallback: anonymous\n",
                "  fallback: anonymous\n  assertion: { keys: [\""
                    + ASSERTION_KEY.reveal()
                    + "\"], max_ttl: 5m }\n");
    var stub = start(TestConfigs.parse(yaml));
    long now = NOW.getEpochSecond();
    Secret other = new Secret("another-key-0123456789ab", "test");
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put("malformed", "v1.not-an-assertion");
    cases.put("bad signature", OnBehalfOfAssertions.sign(other, "alice", null, now + 60, "n-sig"));
    cases.put("expired", OnBehalfOfAssertions.sign(ASSERTION_KEY, "alice", null, now - 1, "n-exp"));
    cases.put(
        "too far in the future",
        OnBehalfOfAssertions.sign(ASSERTION_KEY, "alice", null, now + 86_400, "n-fut"));
    for (var c : cases.entrySet()) {
      CheckResponse r =
          stub.check(
              EnvoyChecks.post(CHAT)
                  .bearer(TestConfigs.SERVICE_KEY)
                  .header("x-tollgate-assertion", c.getValue())
                  .json(HELLO + "}")
                  .build());
      assertEquals(401, status(r), c.getKey());
      assertEquals("invalid_on_behalf_of_assertion", error(r).get("code").asText(), c.getKey());
      assertTrue(error(r).get("message").asText().startsWith("on-behalf-of assertion"), c.getKey());
    }
    assertFalse(
        tollgate.stats().counts().containsKey("internal_error"),
        tollgate.stats().counts().toString());
    assertEquals(4L, tollgate.stats().counts().get("auth.invalid_assertion"));

    CheckResponse valid =
        stub.check(
            EnvoyChecks.post(CHAT)
                .bearer(TestConfigs.SERVICE_KEY)
                .header(
                    "x-tollgate-assertion",
                    OnBehalfOfAssertions.sign(ASSERTION_KEY, "alice", null, now + 60, "n-ok"))
                .json(HELLO + "}")
                .build());
    assertEquals(Code.OK_VALUE, valid.getStatus().getCode());
    assertEquals("alice", valid.getDynamicMetadata().getFieldsMap().get("user").getStringValue());
  }

  // ---------------------------------------------------------------- output tokens

  @Test
  void maxTokensTimesNNeverOverflows() throws Exception {
    var stub = start();
    for (String field : new String[] {"max_tokens", "max_completion_tokens"}) {
      for (String value :
          new String[] {"6148914691236517206", "9223372036854775807", "2147483648"}) {
        CheckResponse r =
            stub.check(
                EnvoyChecks.post(CHAT)
                    .bearer(TestConfigs.SERVICE_KEY)
                    .json(HELLO + ",\"n\":3,\"" + field + "\":" + value + "}")
                    .build());
        assertEquals(400, status(r), field + "=" + value + ": " + r);
        assertEquals(field, error(r).get("param").asText());
        assertEquals("invalid_request_error", error(r).get("type").asText());
      }
    }
    CheckResponse responses =
        stub.check(
            EnvoyChecks.post("/v1/responses")
                .bearer(TestConfigs.SERVICE_KEY)
                .json(
                    "{\"model\":\"gpt-4o-mini\",\"input\":\"hi\",\"max_output_tokens\":9223372036854775807}")
                .build());
    assertEquals(400, status(responses));
    assertEquals("max_output_tokens", error(responses).get("param").asText());
  }

  @Test
  void theLargestAcceptedMaximumIsPricedWithoutOverflowAndNeverFits() throws Exception {
    var stub = start();
    CheckResponse r =
        stub.check(
            EnvoyChecks.post(CHAT)
                .bearer(TestConfigs.SERVICE_KEY)
                .json(HELLO + ",\"n\":128,\"max_tokens\":2147483647}")
                .build());
    assertEquals(429, status(r), r.toString());
    assertTrue(error(r).get("message").asText().contains("can never fit"), error(r).toString());
    assertFalse(tollgate.stats().counts().containsKey("internal_error"));
    // one reason code for the gRPC status, the access log's decision and the exported counter
    assertEquals("quota.never_fits", r.getStatus().getMessage());
    assertEquals(
        "quota.never_fits", r.getDynamicMetadata().getFieldsMap().get("decision").getStringValue());
    assertEquals(1L, tollgate.stats().counts().get("quota.never_fits"));
  }

  // ---------------------------------------------------------------- bodies over Envoy's buffer

  /** A body whose allowed {@code model} comes first and a second, forbidden one after the cut. */
  private static String smugglingBody() {
    return "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\""
        + "padding ".repeat(100)
        + "\"}],\"model\":\"gpt-5-pro\"}";
  }

  @Test
  void aBodyCutByEnvoyIsRefusedWith413ByDefault() throws Exception {
    var stub = start();
    CheckResponse r =
        stub.check(
            EnvoyChecks.post(CHAT)
                .bearer(TestConfigs.SERVICE_KEY)
                .json(smugglingBody())
                .maxRequestBytes(200)
                .build());
    assertEquals(413, status(r), r.toString());
    assertEquals("request_too_large", error(r).get("code").asText());
    assertEquals("invalid_request_error", error(r).get("type").asText());
    assertEquals(1L, tollgate.stats().counts().get("request.partial_body"));
  }

  @Test
  void aBodyCutByEnvoyIsCountedFromWhatArrivedWhenAllowed() throws Exception {
    var stub =
        start(
            TestConfigs.parse(
                TestConfigs.yaml(TestConfigs.DEFAULT_LIMITS, "memory", "deny")
                    + "request: { partial_body: allow }\n"));
    CheckResponse r =
        stub.check(
            EnvoyChecks.post(CHAT)
                .bearer(TestConfigs.SERVICE_KEY)
                .json(smugglingBody())
                .maxRequestBytes(200)
                .build());
    assertEquals(Code.OK_VALUE, r.getStatus().getCode(), r.toString());
    assertTrue(r.getDynamicMetadata().getFieldsMap().get("partial_body").getBoolValue());
  }

  @Test
  void aWholeBodyWithADuplicateTopLevelKeyIs400() throws Exception {
    var stub = start();
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put(smugglingBody(), "model");
    cases.put(HELLO + ",\"max_tokens\":1,\"max_tokens\":100000}", "max_tokens");
    cases.put(HELLO + ",\"user\":\"a\",\"user\":\"b\"}", "user");
    for (var c : cases.entrySet()) {
      CheckResponse r =
          stub.check(
              EnvoyChecks.post(CHAT).bearer(TestConfigs.SERVICE_KEY).json(c.getKey()).build());
      assertEquals(400, status(r), c.getKey());
      assertEquals("invalid_request_error", error(r).get("type").asText());
      assertTrue(error(r).get("message").asText().contains(c.getValue()), error(r).toString());
    }
    CheckResponse messages =
        stub.check(
            EnvoyChecks.post(CHAT)
                .bearer(TestConfigs.SERVICE_KEY)
                .json(HELLO.replace("\"messages\":[", "\"messages\":[],\"messages\":[") + "}")
                .build());
    assertEquals(400, status(messages));
  }
}
