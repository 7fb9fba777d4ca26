package dev.tollgate.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.TestConfigs;
import dev.tollgate.accounting.TicketSeal;
import dev.tollgate.auth.InMemoryNonceStore;
import dev.tollgate.config.Secret;
import dev.tollgate.config.TollgateConfig;
import dev.tollgate.quota.InMemoryQuotaStore;
import dev.tollgate.quota.QuotaService;
import dev.tollgate.tokens.Encodings;
import dev.tollgate.tokens.PromptCounter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Routes in admission: what each route counts, the route a spelling of a path is counted by, and a
 * route that counts requests only (the ingress case: ChatGPT calling an Action).
 */
class RoutesAdmissionTest {
  private static final Encodings ENCODINGS = new Encodings();
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-11-22T12:00:00Z"), ZoneOffset.UTC);
  private static final TicketSeal SEAL =
      new TicketSeal(List.of(new Secret("routes-test-key-0123456789abcdef-xyz", "test")));
  private static final String CHAT =
      "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

  static final String ROUTES =
      """
      routes:
        - { prefix: /v1/, count: openai }
        - { prefix: /actions/, count: requests, tier: gpt-action }
      unknown_path: deny
      """;

  static TollgateConfig config(String actionLimits, String routes) {
    return TestConfigs.parse(
        withActionTier(
            TestConfigs.yaml("- { scope: user, window: 1m, tokens: 100000 }", "memory", "deny"),
            actionLimits,
            routes));
  }

  static String withActionTier(String base, String actionLimits, String routes) {
    String tier =
        "  gpt-action:\n    models: [gpt-4o-mini]\n    limits:\n"
            + actionLimits.indent(6).stripTrailing()
            + "\n";
    return base.replace("routes: { unknown_path: deny }\n", tier + routes);
  }

  private final AdmissionStats stats = new AdmissionStats();

  Admission admission(String actionLimits) {
    return new Admission(
        config(actionLimits, ROUTES),
        new PromptCounter(ENCODINGS),
        new QuotaService(new InMemoryQuotaStore(), CLOCK, Duration.ofMillis(150)),
        new InMemoryNonceStore(),
        CLOCK,
        stats,
        SEAL);
  }

  static Verdict call(Admission a, String method, String path, String conversation, String body) {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("authorization", "Bearer " + TestConfigs.SERVICE_KEY);
    h.put("openai-ephemeral-user-id", "u-1");
    if (conversation != null) {
      h.put("openai-conversation-id", conversation);
    }
    h.put("x-tollgate-forged", "1");
    return a.admit(
            new AdmissionRequest(
                method,
                path,
                h,
                body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8),
                false,
                Map.of()))
        .toCompletableFuture()
        .join();
  }

  @Test
  void aRequestRouteCountsEachConversationAndAnswers429WithOpenAisHeaders() {
    Admission a = admission("- { scope: conversation, window: 1m, requests: 2 }");
    for (int i = 1; i <= 2; i++) {
      Verdict.Allow ok =
          assertInstanceOf(Verdict.Allow.class, call(a, "GET", "/actions/weather", "c-1", null));
      assertEquals(Reason.ALLOW, ok.reason());
      assertNull(ok.upstreamApiKey(), "the upstream of an Action is not OpenAI: never its key");
      assertTrue(ok.headersToRemove().containsAll(List.of("authorization", "x-tollgate-forged")));
      assertNull(ok.reservationId(), "nothing to settle");
      assertEquals("2", ok.responseHeaders().get("x-ratelimit-limit-requests"));
      assertEquals(
          Integer.toString(2 - i), ok.responseHeaders().get("x-ratelimit-remaining-requests"));
      assertEquals("1m0s", ok.responseHeaders().get("x-ratelimit-reset-requests"));
      assertEquals("u-1", ok.metadata().user());
      assertEquals("c-1", ok.metadata().conversation());
      assertEquals("gpt-action", ok.metadata().tier());
      assertNull(ok.metadata().reservation());
    }
    Verdict.Deny over =
        assertInstanceOf(Verdict.Deny.class, call(a, "POST", "/actions/weather", "c-1", "{}"));
    assertEquals(Reason.QUOTA_EXCEEDED, over.reason());
    assertEquals(429, over.error().status());
    assertEquals("requests", over.error().type());
    assertEquals("rate_limit_exceeded", over.error().code());
    assertEquals(
        "Rate limit reached on requests per 1m for this conversation: Limit 2, Used 2, Requested 1."
            + " Please try again in 1m0s.",
        over.error().message());
    assertEquals("60", over.headers().get("retry-after"));
    assertEquals("2", over.headers().get("x-ratelimit-limit-requests"));
    assertEquals("0", over.headers().get("x-ratelimit-remaining-requests"));
    assertEquals("1m0s", over.headers().get("x-ratelimit-reset-requests"));
    assertEquals("conversation", over.metadata().bindingScope());
    assertInstanceOf(
        Verdict.Allow.class,
        call(a, "GET", "/actions/weather", "c-2", null),
        "another conversation has its own limit");
  }

  /** Spellings of the OpenAI API's path: each is counted (tokens reserved) by the openai route. */
  static Stream<String> openAiSpellings() {
    return Stream.of(
        "/v1/chat/completions",
        "/V1/chat/completions",
        "/v1/CHAT/completions",
        "/v1//chat/completions",
        "/v1/./chat/completions",
        "/x/../v1/chat/completions",
        "/actions/../v1/chat/completions",
        "/actions//../../v1/chat/completions",
        "/%761/chat/completions",
        "/v1/chat/completions?x=1",
        "/v1/chat/completions/",
        "//v1/chat/completions#x");
  }

  @ParameterizedTest
  @MethodSource("openAiSpellings")
  void everySpellingOfTheOpenAiPathIsCountedAsOpenAi(String path) {
    Admission a = admission("- { scope: conversation, window: 1m, requests: 1 }");
    Verdict.Allow ok = assertInstanceOf(Verdict.Allow.class, call(a, "POST", path, "c-1", CHAT));
    assertEquals("chat.completions", ok.metadata().api(), path);
    assertNotNull(ok.metadata().reservation(), path + ": tokens reserved");
    assertEquals("default", ok.metadata().tier());
  }

  /** Spellings of an Action's path: each is counted by the request route, never uncounted. */
  static Stream<String> actionSpellings() {
    return Stream.of(
        "/actions/weather",
        "/ACTIONS/weather",
        "/Actions//weather",
        "//actions/./weather",
        "/v1/../actions/weather",
        "/%61ctions/weather",
        "/actions/weather?conversation=c-9");
  }

  @ParameterizedTest
  @MethodSource("actionSpellings")
  void everySpellingOfAnActionPathIsCountedByItsRoute(String path) {
    Admission a = admission("- { scope: conversation, window: 1m, requests: 1 }");
    Verdict.Allow ok =
        assertInstanceOf(Verdict.Allow.class, call(a, "GET", "/actions/x", "c-1", null));
    assertEquals("0", ok.responseHeaders().get("x-ratelimit-remaining-requests"));
    Verdict.Deny over =
        assertInstanceOf(Verdict.Deny.class, call(a, "GET", path, "c-1", null), path);
    assertEquals(Reason.QUOTA_EXCEEDED, over.reason(), path);
  }

  /** Spellings whose meaning depends on who reads them: 400, never a guess. */
  static Stream<String> ambiguous() {
    return Stream.of(
        "/actions/%2e%2e/v1/chat/completions",
        "/actions/..%2fv1/chat/completions",
        "/actions/..%2Fv1/chat/completions",
        "/actions/..%5cv1/chat/completions",
        "/actions/..;/v1/chat/completions",
        "/actions/%zz");
  }

  @ParameterizedTest
  @MethodSource("ambiguous")
  void ambiguousSpellingsAreRefused(String path) {
    Admission a = admission("- { scope: conversation, window: 1m, requests: 5 }");
    Verdict.Deny d = assertInstanceOf(Verdict.Deny.class, call(a, "POST", path, "c-1", CHAT));
    assertEquals(Reason.ROUTE_INVALID_PATH, d.reason());
    assertEquals(400, d.error().status());
    assertEquals("invalid_url", d.error().code());
  }

  @Test
  void aPathNoRouteTakesFollowsUnknownPath() {
    Admission a = admission("- { scope: conversation, window: 1m, requests: 5 }");
    Verdict.Deny d = assertInstanceOf(Verdict.Deny.class, call(a, "GET", "/other", "c-1", null));
    assertEquals(Reason.ROUTE_UNKNOWN_PATH, d.reason());
    assertEquals(404, d.error().status());
    Verdict.Deny models =
        assertInstanceOf(Verdict.Deny.class, call(a, "GET", "/v1/models", "c-1", null));
    assertEquals(
        Reason.ROUTE_UNKNOWN_PATH, models.reason(), "an openai route knows only the four APIs");
    Verdict.Deny noActions =
        assertInstanceOf(Verdict.Deny.class, call(a, "GET", "/actions", "c-1", null));
    assertEquals(Reason.ROUTE_UNKNOWN_PATH, noActions.reason(), "the prefix is /actions/");
  }

  @Test
  void aRouteWithMethodsTakesOnlyThose() {
    Admission a =
        new Admission(
            config(
                "- { scope: user, window: 1m, requests: 5 }",
                """
                routes:
                  - { prefix: /actions/, methods: [get], count: requests, tier: gpt-action }
                  - { prefix: /v1/, count: openai }
                unknown_path: deny
                """),
            new PromptCounter(ENCODINGS),
            new QuotaService(new InMemoryQuotaStore(), CLOCK, Duration.ofMillis(150)),
            new InMemoryNonceStore(),
            CLOCK,
            stats,
            SEAL);
    assertInstanceOf(Verdict.Allow.class, call(a, "GET", "/actions/x", null, null));
    Verdict.Deny post =
        assertInstanceOf(Verdict.Deny.class, call(a, "POST", "/actions/x", null, "{}"));
    assertEquals(Reason.ROUTE_UNKNOWN_PATH, post.reason());
  }
}
