package dev.tollgate.envoy.authz;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.rpc.Code;
import dev.tollgate.Fixtures;
import dev.tollgate.TestConfigs;
import dev.tollgate.Tollgate;
import dev.tollgate.config.TollgateConfig;
import dev.tollgate.quota.Charge;
import dev.tollgate.quota.InMemoryQuotaStore;
import dev.tollgate.quota.KeyReserveResult;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.QuotaStore;
import dev.tollgate.quota.WindowStatus;
import dev.tollgate.testsupport.EnvoyChecks;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * In-process gRPC: CheckRequests shaped as Envoy sends them (ENVOY.md §1), full CheckResponses
 * asserted.
 */
@SuppressWarnings("deprecation") // HeaderValueOption.append: Tollgate sets it explicitly on purpose
class AuthorizationServiceTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CHAT = "/v1/chat/completions";
  private Tollgate tollgate;
  private ManagedChannel channel;

  private AuthorizationGrpc.AuthorizationBlockingStub start(TollgateConfig config, QuotaStore store)
      throws Exception {
    String name = InProcessServerBuilder.generateName();
    tollgate =
        Tollgate.start(
            config,
            InProcessServerBuilder.forName(name).directExecutor(),
            null,
            false,
            Clock.fixed(Instant.parse("2026-11-22T12:00:00Z"), ZoneOffset.UTC),
            store);
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    return AuthorizationGrpc.newBlockingStub(channel);
  }

  private AuthorizationGrpc.AuthorizationBlockingStub start(String limits) throws Exception {
    return start(TestConfigs.withLimits(limits), new InMemoryQuotaStore());
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

  private static String chat(String model, String user, int maxTokens) {
    ObjectNode b = JSON.createObjectNode().put("model", model);
    b.putArray("messages").addObject().put("role", "user").put("content", "Say hello to " + user);
    if (maxTokens >= 0) {
      b.put("max_tokens", maxTokens);
    }
    return b.toString();
  }

  private static Map<String, String> deniedHeaders(CheckResponse r) {
    Map<String, String> h = new LinkedHashMap<>();
    for (HeaderValueOption o : r.getDeniedResponse().getHeadersList()) {
      assertEquals(
          false, o.getAppend().getValue(), "every header overwrites: " + o.getHeader().getKey());
      assertTrue(o.hasAppend(), "append set explicitly");
      h.put(o.getHeader().getKey(), o.getHeader().getValue());
    }
    return h;
  }

  private static JsonNode deniedBody(CheckResponse r) throws Exception {
    return JSON.readTree(r.getDeniedResponse().getBody());
  }

  private static Map<String, Value> md(CheckResponse r) {
    return r.getDynamicMetadata().getFieldsMap();
  }

  @Test
  void allowSwapsInTheUpstreamKeyStripsTollgateHeadersAndPublishesMetadata() throws Exception {
    var stub = start(TestConfigs.DEFAULT_LIMITS);
    CheckResponse r =
        stub.check(
            EnvoyChecks.post(CHAT + "?a=1")
                .bearer(TestConfigs.SERVICE_KEY)
                .header("X-On-Behalf-Of", "alice")
                .header("x-tollgate-user", "mallory")
                .json(chat("gpt-4o-mini", "alice", 100))
                .build());

    assertEquals(Code.OK_VALUE, r.getStatus().getCode());
    assertTrue(r.hasOkResponse());
    List<HeaderValueOption> set = r.getOkResponse().getHeadersList();
    assertEquals(1, set.size());
    assertEquals("authorization", set.get(0).getHeader().getKey());
    assertEquals("Bearer " + TestConfigs.UPSTREAM_KEY, set.get(0).getHeader().getValue());
    assertTrue(set.get(0).hasAppend());
    assertFalse(set.get(0).getAppend().getValue());
    assertEquals(List.of("x-tollgate-user"), r.getOkResponse().getHeadersToRemoveList());

    Map<String, Value> md = md(r);
    assertEquals("alice", md.get("user").getStringValue());
    assertEquals("web", md.get("key").getStringValue());
    assertEquals("default", md.get("tier").getStringValue());
    assertEquals("gpt-4o-mini", md.get("model").getStringValue());
    assertEquals("chat.completions", md.get("api").getStringValue());
    double prompt = md.get("prompt_tokens").getNumberValue();
    assertTrue(prompt > 5 && prompt < 30, "prompt tokens " + prompt);
    assertEquals(prompt + 100, md.get("reserved_tokens").getNumberValue());
    assertTrue(md.get("reservation").getStringValue().startsWith("t1."));
    assertEquals(20000, md.get("ratelimit_limit_tokens").getNumberValue());
    assertEquals(20000 - prompt - 100, md.get("ratelimit_remaining_tokens").getNumberValue());
  }

  @Test
  void rotatedKeyRawBodyStringBodyAndRawHeaderMapAllWork() throws Exception {
    var stub = start(TestConfigs.DEFAULT_LIMITS);
    String body = chat("gpt-4o-mini", "bob", 10);
    CheckResponse a =
        stub.check(EnvoyChecks.post(CHAT).bearer(TestConfigs.SERVICE_KEY_2).json(body).build());
    CheckResponse b =
        stub.check(
            EnvoyChecks.post(CHAT)
                .bearer(TestConfigs.SERVICE_KEY)
                .json(body)
                .asStringBody()
                .build());
    CheckResponse c =
        stub.check(
            EnvoyChecks.post(CHAT)
                .bearer(TestConfigs.SERVICE_KEY)
                .header("x-on-behalf-of", "raw")
                .json(body)
                .rawHeaders()
                .build());
    assertEquals(Code.OK_VALUE, a.getStatus().getCode());
    assertEquals("web-rotated", md(a).get("key").getStringValue());
    assertEquals(Code.OK_VALUE, b.getStatus().getCode());
    assertEquals(md(a).get("prompt_tokens"), md(b).get("prompt_tokens"));
    assertEquals(Code.OK_VALUE, c.getStatus().getCode(), c.toString());
    assertEquals("raw", md(c).get("user").getStringValue());
  }

  @Test
  void missingOrWrongKeyIs401InvalidApiKey() throws Exception {
    var stub = start(TestConfigs.DEFAULT_LIMITS);
    for (CheckRequest req :
        List.of(
            EnvoyChecks.post(CHAT).json(chat("gpt-4o-mini", "a", 1)).build(),
            EnvoyChecks.post(CHAT).bearer("sk-wrong").json(chat("gpt-4o-mini", "a", 1)).build(),
            EnvoyChecks.post(CHAT)
                .bearer(TestConfigs.UPSTREAM_KEY)
                .json(chat("gpt-4o-mini", "a", 1))
                .build())) {
      CheckResponse r = stub.check(req);
      assertEquals(Code.UNAUTHENTICATED_VALUE, r.getStatus().getCode());
      assertEquals(401, r.getDeniedResponse().getStatus().getCodeValue());
      assertEquals("application/json", deniedHeaders(r).get("content-type"));
      JsonNode err = deniedBody(r).get("error");
      assertEquals("invalid_request_error", err.get("type").asText());
      assertEquals("invalid_api_key", err.get("code").asText());
      assertTrue(err.get("param").isNull());
      assertTrue(err.get("message").asText().length() > 10);
      assertFalse(r.toString().contains(TestConfigs.UPSTREAM_KEY), "upstream key never echoed");
    }
  }

  @Test
  void modelOutsideAllowlistIs403() throws Exception {
    var stub = start(TestConfigs.DEFAULT_LIMITS);
    CheckResponse r =
        stub.check(
            EnvoyChecks.post(CHAT)
                .bearer(TestConfigs.SERVICE_KEY)
                .json(chat("gpt-5-pro", "a", 1))
                .build());
    assertEquals(403, r.getDeniedResponse().getStatus().getCodeValue());
    JsonNode err = deniedBody(r).get("error");
    assertEquals("model_not_allowed", err.get("code").asText());
    assertEquals("model", err.get("param").asText());
  }

  @Test
  void badBodiesAre400NamingTheField() throws Exception {
    var stub = start(TestConfigs.DEFAULT_LIMITS);
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put("{not json", null);
    cases.put("{\"messages\":[]}", "model");
    cases.put("{\"model\":42,\"messages\":[]}", "model");
    cases.put("{\"model\":\"gpt-4o-mini\",\"messages\":\"hi\"}", "messages");
    cases.put("{\"model\":\"gpt-4o-mini\",\"messages\":[],\"max_tokens\":\"ten\"}", "max_tokens");
    for (var c : cases.entrySet()) {
      CheckResponse r =
          stub.check(
              EnvoyChecks.post(CHAT).bearer(TestConfigs.SERVICE_KEY).json(c.getKey()).build());
      assertEquals(400, r.getDeniedResponse().getStatus().getCodeValue(), c.getKey());
      JsonNode err = deniedBody(r).get("error");
      assertEquals("invalid_request_error", err.get("type").asText());
      if (c.getValue() != null) {
        assertEquals(c.getValue(), err.get("param").asText(), c.getKey());
      }
    }
    CheckResponse empty =
        stub.check(EnvoyChecks.post(CHAT).bearer(TestConfigs.SERVICE_KEY).build());
    assertEquals(400, empty.getDeniedResponse().getStatus().getCodeValue());
  }

  @Test
  void badIdentityIs400() throws Exception {
    var stub = start(TestConfigs.DEFAULT_LIMITS);
    CheckResponse r =
        stub.check(
            EnvoyChecks.post(CHAT)
                .bearer(TestConfigs.SERVICE_KEY)
                .header("x-on-behalf-of", "x".repeat(300))
                .json(chat("gpt-4o-mini", "a", 1))
                .build());
    assertEquals(400, r.getDeniedResponse().getStatus().getCodeValue());
    assertFalse(r.getDeniedResponse().getBody().contains("x".repeat(300)));
  }

  @Test
  void cookbookMessagesCountExactlyPerModel() throws Exception {
    var stub = start(TestConfigs.DEFAULT_LIMITS);
    JsonNode cookbook =
        JSON.readTree(
            Fixtures.path("chat_completions/prompt_token_counting_cookbook.json").toFile());
    JsonNode jargon = cookbook.get("case_corporate_jargon");
    int checked = 0;
    for (JsonNode e : jargon.get("expected")) {
      String model = e.get("model").asText();
      if (!model.equals("gpt-4o-mini") && !model.equals("gpt-4o") && !model.equals("gpt-4")) {
        continue;
      }
      ObjectNode body = JSON.createObjectNode().put("model", model).put("max_tokens", 1);
      body.set("messages", jargon.get("messages"));
      CheckResponse r =
          stub.check(
              EnvoyChecks.post(CHAT).bearer(TestConfigs.SERVICE_KEY).json(body.toString()).build());
      assertEquals(Code.OK_VALUE, r.getStatus().getCode(), r.toString());
      assertEquals(
          e.get("api_prompt_tokens").asInt(),
          (int) md(r).get("prompt_tokens").getNumberValue(),
          model);
      checked++;
    }
    assertEquals(3, checked);
  }

  @Test
  void overQuotaIs429WithOpenAiHeadersAndBody() throws Exception {
    var stub = start("- { scope: user, window: 1m, tokens: 1000 }");
    CheckRequest req =
        EnvoyChecks.post(CHAT)
            .bearer(TestConfigs.SERVICE_KEY)
            .header("x-on-behalf-of", "carol")
            .json(chat("gpt-4o-mini", "carol", 400))
            .build();
    assertEquals(Code.OK_VALUE, stub.check(req).getStatus().getCode());
    assertEquals(Code.OK_VALUE, stub.check(req).getStatus().getCode());
    CheckResponse r = stub.check(req);
    assertEquals(Code.RESOURCE_EXHAUSTED_VALUE, r.getStatus().getCode());
    assertEquals(429, r.getDeniedResponse().getStatus().getCodeValue());
    Map<String, String> h = deniedHeaders(r);
    assertEquals("application/json", h.get("content-type"));
    long retry = Long.parseLong(h.get("retry-after"));
    assertTrue(retry >= 1 && retry <= 60, "retry-after " + retry);
    assertNotNull(h.get("retry-after-ms"));
    assertEquals("1000", h.get("x-ratelimit-limit-tokens"));
    long remaining = Long.parseLong(h.get("x-ratelimit-remaining-tokens"));
    assertTrue(remaining < 400 + 20);
    assertTrue(
        h.get("x-ratelimit-reset-tokens").matches("([0-9]+m)?[0-9.]+m?s"),
        h.get("x-ratelimit-reset-tokens"));
    assertFalse(h.containsKey("x-should-retry"), "a wait of a minute or less is worth retrying");
    JsonNode err = deniedBody(r).get("error");
    assertEquals("tokens", err.get("type").asText());
    assertEquals("rate_limit_exceeded", err.get("code").asText());
    assertTrue(err.get("param").isNull());
    assertTrue(err.get("message").asText().startsWith("Rate limit reached for gpt-4o-mini"));
    // another user is unaffected
    CheckResponse other =
        stub.check(
            EnvoyChecks.post(CHAT)
                .bearer(TestConfigs.SERVICE_KEY)
                .header("x-on-behalf-of", "dave")
                .json(chat("gpt-4o-mini", "dave", 400))
                .build());
    assertEquals(Code.OK_VALUE, other.getStatus().getCode());
  }

  @Test
  void waitsLongerThanAMinuteTellClientsNotToRetry() throws Exception {
    var stub = start("- { scope: user, window: 5m, tokens: 1000 }");
    CheckRequest req =
        EnvoyChecks.post(CHAT)
            .bearer(TestConfigs.SERVICE_KEY)
            .json(chat("gpt-4o-mini", "x", 600))
            .build();
    assertEquals(Code.OK_VALUE, stub.check(req).getStatus().getCode());
    CheckResponse r = stub.check(req);
    assertEquals(429, r.getDeniedResponse().getStatus().getCodeValue());
    Map<String, String> h = deniedHeaders(r);
    assertTrue(Long.parseLong(h.get("retry-after")) > 60);
    assertEquals("false", h.get("x-should-retry"));
  }

  @Test
  void requestLargerThanTheWholeLimitNeverFits() throws Exception {
    var stub = start("- { scope: user, window: 1h, tokens: 500 }");
    CheckResponse r =
        stub.check(
            EnvoyChecks.post(CHAT)
                .bearer(TestConfigs.SERVICE_KEY)
                .json(chat("gpt-4o-mini", "a", 1000))
                .build());
    assertEquals(429, r.getDeniedResponse().getStatus().getCodeValue());
    assertEquals("false", deniedHeaders(r).get("x-should-retry"));
    assertTrue(deniedBody(r).get("error").get("message").asText().contains("can never fit"));
  }

  @Test
  void monthlyBudgetDenialTellsClientsNotToRetry() throws Exception {
    var stub = start("- { scope: user, window: month, usd: 0.0001 }");
    // gpt-4 at $60/Mtok output: 2 x 1000 output tokens is well over $0.0001
    CheckResponse r =
        stub.check(
            EnvoyChecks.post(CHAT)
                .bearer(TestConfigs.SERVICE_KEY)
                .json(chat("gpt-4o-mini", "a", 100))
                .build());
    assertEquals(Code.OK_VALUE, r.getStatus().getCode());
    CheckResponse d = null;
    for (int i = 0; i < 10 && (d == null || d.getStatus().getCode() == Code.OK_VALUE); i++) {
      d =
          stub.check(
              EnvoyChecks.post(CHAT)
                  .bearer(TestConfigs.SERVICE_KEY)
                  .json(chat("gpt-4o-mini", "a", 100))
                  .build());
    }
    assertEquals(429, d.getDeniedResponse().getStatus().getCodeValue());
    assertEquals("false", deniedHeaders(d).get("x-should-retry"));
    assertEquals("insufficient_quota", deniedBody(d).get("error").get("code").asText());
  }

  @Test
  void systemKeysAreCountedButNotLimitedPerUser() throws Exception {
    var stub = start("- { scope: user, window: 5m, tokens: 300 }");
    for (int i = 0; i < 5; i++) {
      CheckResponse r =
          stub.check(
              EnvoyChecks.post(CHAT)
                  .bearer(TestConfigs.SYSTEM_KEY)
                  .header("x-on-behalf-of", "erin")
                  .json(chat("gpt-4o-mini", "erin", 100))
                  .build());
      assertEquals(Code.OK_VALUE, r.getStatus().getCode());
    }
    // the same user through a service key is now over: the system traffic was counted
    CheckResponse r =
        stub.check(
            EnvoyChecks.post(CHAT)
                .bearer(TestConfigs.SERVICE_KEY)
                .header("x-on-behalf-of", "erin")
                .json(chat("gpt-4o-mini", "erin", 100))
                .build());
    assertEquals(429, r.getDeniedResponse().getStatus().getCodeValue());
  }

  @Test
  void refusalOnGlobalReleasesTheUserReservation() throws Exception {
    var stub =
        start(
            """
        - { scope: user, window: 5m, tokens: 10000 }
        - { scope: global, window: 1m, tokens: 300 }
        """);
    CheckRequest big =
        EnvoyChecks.post(CHAT)
            .bearer(TestConfigs.SERVICE_KEY)
            .header("x-on-behalf-of", "fay")
            .json(chat("gpt-4o-mini", "fay", 200))
            .build();
    assertEquals(Code.OK_VALUE, stub.check(big).getStatus().getCode());
    CheckResponse denied = stub.check(big);
    assertEquals(429, denied.getDeniedResponse().getStatus().getCodeValue());
    assertTrue(deniedBody(denied).get("error").get("message").asText().contains("organisation"));
    var status =
        tollgate
            .quotas()
            .status(
                "user:fay",
                List.of(
                    Limit.class.cast(
                        TestConfigs.withLimits("- { scope: user, window: 5m, tokens: 10000 }")
                            .tiers()
                            .get("default")
                            .limits()
                            .get(0)
                            .limit())))
            .toCompletableFuture()
            .join();
    assertTrue(
        status.get(0).used() < 300,
        "the refused request's user reservation was released: " + status);
  }

  @Test
  void unknownPathIs404ByDefault() throws Exception {
    var stub = start(TestConfigs.DEFAULT_LIMITS);
    CheckResponse r =
        stub.check(
            EnvoyChecks.post("/v1/files?x=y").bearer(TestConfigs.SERVICE_KEY).json("{}").build());
    assertEquals(404, r.getDeniedResponse().getStatus().getCodeValue());
    assertEquals("unknown_url", deniedBody(r).get("error").get("code").asText());
    assertFalse(deniedBody(r).toString().contains("x=y"), "query strings are not echoed");
  }

  @Test
  void partialBodyIsCountedFromWhatArrivedAndMarkedWhenAllowed() throws Exception {
    var stub =
        start(
            TestConfigs.parse(
                TestConfigs.yaml(TestConfigs.DEFAULT_LIMITS, "memory", "deny")
                    + "request: { partial_body: allow }\n"),
            new InMemoryQuotaStore());
    String body = chat("gpt-4o-mini", "someone with a long message ".repeat(50), 10);
    CheckResponse r =
        stub.check(
            EnvoyChecks.post(CHAT)
                .bearer(TestConfigs.SERVICE_KEY)
                .json(body)
                .maxRequestBytes(200)
                .build());
    assertEquals(Code.OK_VALUE, r.getStatus().getCode(), r.toString());
    assertTrue(md(r).get("partial_body").getBoolValue());
    assertTrue(md(r).get("prompt_tokens").getNumberValue() > 10);
  }

  @Test
  void jwtClaimFromJwtAuthnMetadata() throws Exception {
    var stub = start(TestConfigs.DEFAULT_LIMITS);
    Struct payload =
        Struct.newBuilder()
            .putFields("sub", Value.newBuilder().setStringValue("jwt-user").build())
            .build();
    Struct ns =
        Struct.newBuilder()
            .putFields("my_provider", Value.newBuilder().setStructValue(payload).build())
            .build();
    CheckResponse r =
        stub.check(
            EnvoyChecks.post(CHAT)
                .bearer(TestConfigs.SERVICE_KEY)
                .metadata(CheckRequests.JWT_AUTHN_NAMESPACE, ns)
                .json(chat("gpt-4o-mini", "a", 1))
                .build());
    assertEquals("jwt-user", md(r).get("user").getStringValue());
  }

  /** A store whose answers never come. */
  static final class FrozenStore implements QuotaStore {
    @Override
    public CompletionStage<KeyReserveResult> reserve(
        String key, List<Limit> limits, Charge charge, long nowMillis, boolean enforce) {
      return new CompletableFuture<>();
    }

    @Override
    public CompletionStage<Void> adjust(
        String key, Charge reserved, Charge actual, long reservedAtMillis, long nowMillis) {
      return new CompletableFuture<>();
    }

    @Override
    public CompletionStage<List<WindowStatus>> status(
        String key, List<Limit> limits, long nowMillis) {
      return new CompletableFuture<>();
    }

    @Override
    public CompletionStage<Void> reset(String key) {
      return new CompletableFuture<>();
    }

    @Override
    public CompletionStage<Void> hold(
        dev.tollgate.quota.Reservation r, long expiresAtMillis, long nowMillis) {
      return new CompletableFuture<>();
    }

    @Override
    public CompletionStage<dev.tollgate.quota.Reservation> take(String id) {
      return new CompletableFuture<>();
    }

    @Override
    public List<dev.tollgate.quota.Reservation> takeExpired(long nowMillis) {
      return List.of();
    }

    @Override
    public long heldCount() {
      return 0;
    }

    @Override
    public void close() {}
  }

  @Test
  void frozenStoreFailsClosedWithin503() throws Exception {
    var stub =
        start(
            TestConfigs.parse(TestConfigs.yaml(TestConfigs.DEFAULT_LIMITS, "memory", "deny")),
            new FrozenStore());
    long t0 = System.nanoTime();
    CheckResponse r =
        stub.check(
            EnvoyChecks.post(CHAT)
                .bearer(TestConfigs.SERVICE_KEY)
                .json(chat("gpt-4o-mini", "a", 1))
                .build());
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(503, r.getDeniedResponse().getStatus().getCodeValue());
    assertEquals("quota_unavailable", deniedBody(r).get("error").get("code").asText());
    assertEquals("1", deniedHeaders(r).get("retry-after"));
    assertTrue(ms < 1000, "answered in " + ms + " ms");
  }

  @Test
  void frozenStoreFailsOpenWhenConfigured() throws Exception {
    var stub =
        start(
            TestConfigs.parse(TestConfigs.yaml(TestConfigs.DEFAULT_LIMITS, "memory", "allow")),
            new FrozenStore());
    CheckResponse r =
        stub.check(
            EnvoyChecks.post(CHAT)
                .bearer(TestConfigs.SERVICE_KEY)
                .json(chat("gpt-4o-mini", "a", 1))
                .build());
    assertEquals(Code.OK_VALUE, r.getStatus().getCode());
    assertEquals("unavailable", md(r).get("store").getStringValue());
    assertEquals(1L, tollgate.stats().counts().get("allow.store_unavailable"));
  }

  @Test
  void aCheckThatEnvoyGaveUpOnGivesItsReservationBack() throws Exception {
    InMemoryQuotaStore inner = new InMemoryQuotaStore();
    java.util.concurrent.ScheduledExecutorService later =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    QuotaStore slow =
        new dev.tollgate.quota.ForwardingQuotaStore(inner) {
          @Override
          public CompletionStage<KeyReserveResult> reserve(
              String key, List<Limit> limits, Charge charge, long now, boolean e) {
            CompletableFuture<KeyReserveResult> f = new CompletableFuture<>();
            // answers within Tollgate's store deadline (here 2 s), long after Envoy's (here 20 ms),
            // so
            // that the cancellation has arrived however busy the machine
            later.schedule(
                () -> inner.reserve(key, limits, charge, now, e).thenAccept(f::complete),
                600,
                java.util.concurrent.TimeUnit.MILLISECONDS);
            return f;
          }
        };
    var stub =
        start(
            TestConfigs.parse(
                TestConfigs.yaml(TestConfigs.DEFAULT_LIMITS, "memory", "deny")
                    .replace("deadline_ms: 150", "deadline_ms: 2000")),
            slow);
    List<Limit> fiveMin =
        List.of(
            new Limit(
                dev.tollgate.quota.Window.parse("5m"), dev.tollgate.quota.Unit.TOKENS, 20000));
    for (int i = 0; i < 5; i++) {
      io.grpc.StatusRuntimeException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              io.grpc.StatusRuntimeException.class,
              () ->
                  stub.withDeadlineAfter(20, java.util.concurrent.TimeUnit.MILLISECONDS)
                      .check(
                          EnvoyChecks.post(CHAT)
                              .bearer(TestConfigs.SERVICE_KEY)
                              .header("x-on-behalf-of", "gone")
                              .json(chat("gpt-4o-mini", "a", 100))
                              .build()));
      assertEquals(io.grpc.Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(10))
        .until(() -> tollgate.stats().abandoned() >= 5);
    assertEquals(5, tollgate.stats().abandoned());
    assertEquals(
        0,
        inner
            .status("user:gone", fiveMin, Instant.parse("2026-11-22T12:00:00Z").toEpochMilli())
            .toCompletableFuture()
            .join()
            .get(0)
            .used(),
        "no token stays charged for an answer Envoy never received");
    assertEquals(0, tollgate.quotas().heldCount());
    later.shutdownNow();
  }

  /**
   * {@code upstream.injected_by: envoy}: no Check answer, allow or deny, carries an upstream key or
   * sets {@code authorization}; an allow removes the client's {@code authorization} (Envoy's
   * credential_injector adds the key after the Check).
   */
  @Test
  void injectorModeAnswersNeverCarryAKeyAndRemoveAuthorization() throws Exception {
    String yaml =
        TestConfigs.yaml("- { scope: user, window: 1m, tokens: 400 }", "memory", "deny")
            .replace("upstream: { api_key: \"${UPSTREAM}\" }", "upstream: { injected_by: envoy }");
    TollgateConfig config = TestConfigs.parse(yaml);
    assertEquals(
        dev.tollgate.config.UpstreamConfig.InjectedBy.ENVOY, config.upstream().injectedBy());
    assertEquals(null, config.upstream().apiKey());
    var stub = start(config, new InMemoryQuotaStore());

    List<CheckResponse> answers = new java.util.ArrayList<>();
    CheckResponse allowed =
        stub.check(
            EnvoyChecks.post(CHAT)
                .bearer(TestConfigs.SERVICE_KEY)
                .header("x-on-behalf-of", "alice")
                .json(chat("gpt-4o-mini", "alice", 100))
                .build());
    assertEquals(Code.OK_VALUE, allowed.getStatus().getCode());
    assertTrue(
        allowed.getOkResponse().getHeadersToRemoveList().contains("authorization"),
        "the client's service key must not reach the upstream");
    answers.add(allowed);
    answers.add(
        stub.check(
            EnvoyChecks.post(CHAT)
                .bearer(TestConfigs.SYSTEM_KEY)
                .json(chat("gpt-4o", "batch", 10))
                .build()));
    answers.add(
        stub.check(
            EnvoyChecks.post(CHAT)
                .bearer("sk-not-a-key")
                .json(chat("gpt-4o-mini", "x", 10))
                .build()));
    answers.add(
        stub.check(
            EnvoyChecks.post(CHAT)
                .bearer(TestConfigs.SERVICE_KEY)
                .header("x-on-behalf-of", "alice")
                .json(chat("gpt-4o-mini", "alice", 5000))
                .build()));
    answers.add(stub.check(EnvoyChecks.post("/v1/models").bearer(TestConfigs.SERVICE_KEY).build()));
    assertTrue(
        answers.stream().anyMatch(r -> r.getStatus().getCode() != Code.OK_VALUE),
        "denials are covered too");
    for (CheckResponse r : answers) {
      for (HeaderValueOption h : r.getOkResponse().getHeadersList()) {
        assertFalse(
            h.getHeader().getKey().equalsIgnoreCase("authorization"), "sets authorization: " + r);
      }
      String all =
          r.toString() + new String(r.toByteArray(), java.nio.charset.StandardCharsets.ISO_8859_1);
      assertFalse(all.contains(TestConfigs.UPSTREAM_KEY), "carries the upstream key: " + r);
      assertFalse(all.contains("Bearer "), "carries a bearer value: " + r);
    }
  }
}
