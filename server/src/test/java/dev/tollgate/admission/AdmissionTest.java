package dev.tollgate.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.TestConfigs;
import dev.tollgate.accounting.ReservationTicket;
import dev.tollgate.accounting.TicketSeal;
import dev.tollgate.auth.InMemoryNonceStore;
import dev.tollgate.config.Secret;
import dev.tollgate.config.TollgateConfig;
import dev.tollgate.ledger.DailyUsage;
import dev.tollgate.ledger.DailyUsageRow;
import dev.tollgate.ledger.InMemoryUsageLedger;
import dev.tollgate.ledger.LedgerKey;
import dev.tollgate.ledger.UsageLedger;
import dev.tollgate.quota.InMemoryQuotaStore;
import dev.tollgate.quota.QuotaService;
import dev.tollgate.tokens.Encodings;
import dev.tollgate.tokens.PromptCounter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Admission as plain Java: decisions as values, without gRPC or Envoy. */
class AdmissionTest {
  /** Loaded once for every test here: loading the encodings costs about a second. */
  private static final Encodings ENCODINGS = new Encodings();

  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-11-22T12:00:00Z"), ZoneOffset.UTC);
  private static final TicketSeal SEAL =
      new TicketSeal(List.of(new Secret("admission-test-key-0123456789abcdef", "test")));
  private static final String HELLO =
      "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

  private final AdmissionStats stats = new AdmissionStats();

  private Admission admission(String limits) {
    return admission(limits, UsageLedger.NONE);
  }

  private Admission admission(String limits, UsageLedger ledger) {
    TollgateConfig config = TestConfigs.withLimits(limits);
    return new Admission(
        config,
        new PromptCounter(ENCODINGS),
        new QuotaService(new InMemoryQuotaStore(), CLOCK, Duration.ofMillis(150)),
        new InMemoryNonceStore(),
        CLOCK,
        stats,
        SEAL,
        ledger);
  }

  private static Verdict admit(Admission a, String bearer, String body) {
    Map<String, String> headers =
        bearer == null
            ? Map.of("x-on-behalf-of", "alice", "x-tollgate-debug", "1")
            : Map.of(
                "authorization",
                "Bearer " + bearer,
                "x-on-behalf-of",
                "alice",
                "x-tollgate-debug",
                "1");
    return a.admit(
            new AdmissionRequest(
                "POST",
                "/v1/chat/completions",
                headers,
                body.getBytes(StandardCharsets.UTF_8),
                false,
                Map.of()))
        .toCompletableFuture()
        .join();
  }

  @Test
  void anAllowCarriesTheSealedTicketAndTheTightestTokenWindow() {
    Admission a = admission(TestConfigs.DEFAULT_LIMITS);
    Verdict.Allow allow =
        assertInstanceOf(
            Verdict.Allow.class, admit(a, TestConfigs.SERVICE_KEY, HELLO + ",\"max_tokens\":40}"));
    assertEquals(Reason.ALLOW, allow.reason());
    assertEquals(TestConfigs.UPSTREAM_KEY, allow.upstreamApiKey());
    assertEquals(List.of("x-tollgate-debug"), allow.headersToRemove());
    AuthzMetadata md = allow.metadata();
    assertEquals(Reason.ALLOW, md.decision());
    assertEquals("alice", md.user());
    assertEquals("web", md.key());
    assertEquals("gpt-4o-mini", md.model());
    assertEquals("ok", md.store());
    assertEquals(md.promptTokens() + 40, md.reservedTokens());
    ReservationTicket t = SEAL.open(md.reservation());
    assertEquals("alice", t.user());
    assertEquals(md.promptTokens().longValue(), t.promptTokens());
    assertEquals(allow.reservationId(), t.reservation().id());
    // the user's 5m window of 20000 tokens is the tightest
    assertEquals(
        new RateLimitHeaders(
            dev.tollgate.quota.Unit.TOKENS, 20000, 20000 - md.reservedTokens(), "5m0s"),
        md.rateLimit());
    assertEquals(Map.of("allow", 1L), stats.counts());
  }

  @Test
  void aRefusalHasOneReasonEverywhere() {
    Admission a = admission(TestConfigs.DEFAULT_LIMITS);
    Verdict.Deny noKey = assertInstanceOf(Verdict.Deny.class, admit(a, null, HELLO + "}"));
    assertEquals(Reason.AUTH_INVALID_KEY, noKey.reason());
    assertEquals(401, noKey.error().status());
    assertEquals(
        AuthzMetadata.builder().decision(Reason.AUTH_INVALID_KEY).build(), noKey.metadata());

    Verdict.Deny model =
        assertInstanceOf(
            Verdict.Deny.class,
            admit(a, TestConfigs.SERVICE_KEY, "{\"model\":\"gpt-5\",\"messages\":[]}"));
    assertEquals(Reason.MODEL_NOT_ALLOWED, model.reason());
    assertEquals(Map.of("auth.invalid_key", 1L, "model.not_allowed", 1L), stats.counts());
  }

  @Test
  void overQuotaAndNeverFitsAreToldApart() {
    Admission a = admission("- { scope: user, window: 1m, tokens: 100 }");
    assertInstanceOf(
        Verdict.Allow.class, admit(a, TestConfigs.SERVICE_KEY, HELLO + ",\"max_tokens\":60}"));
    Verdict.Deny over =
        assertInstanceOf(
            Verdict.Deny.class, admit(a, TestConfigs.SERVICE_KEY, HELLO + ",\"max_tokens\":60}"));
    assertEquals(Reason.QUOTA_EXCEEDED, over.reason());
    assertEquals(Reason.QUOTA_EXCEEDED, over.metadata().decision());
    assertEquals(429, over.error().status());
    assertEquals("100", over.headers().get("x-ratelimit-limit-tokens"));
    assertNotNull(over.headers().get("x-ratelimit-remaining-tokens"));
    assertNotNull(over.headers().get("x-ratelimit-reset-tokens"));
    assertNull(over.headers().get("x-should-retry"));
    assertEquals("user", over.metadata().bindingScope());
    assertEquals("1m", over.metadata().bindingWindow());

    Verdict.Deny never =
        assertInstanceOf(
            Verdict.Deny.class, admit(a, TestConfigs.SERVICE_KEY, HELLO + ",\"max_tokens\":1000}"));
    assertEquals(Reason.QUOTA_NEVER_FITS, never.reason());
    assertEquals(Reason.QUOTA_NEVER_FITS, never.metadata().decision());
    assertEquals("false", never.headers().get("x-should-retry"));
    assertTrue(never.error().message().contains("can never fit"));
    assertEquals(Map.of("allow", 1L, "quota.exceeded", 1L, "quota.never_fits", 1L), stats.counts());
  }

  @Test
  void requestLimitsRefuseWithOpenAisRequestHeadersAndShowOnAllowedResponses() {
    Admission a =
        admission(
            "- { scope: user, window: 1m, requests: 2 }\n"
                + "- { scope: user, window: 1m, tokens: 100000 }");
    Verdict.Allow first =
        assertInstanceOf(Verdict.Allow.class, admit(a, TestConfigs.SERVICE_KEY, HELLO + "}"));
    assertEquals(
        new RateLimitHeaders(dev.tollgate.quota.Unit.REQUESTS, 2, 1, "1m0s"),
        first.metadata().rateLimitRequests());
    assertEquals(
        dev.tollgate.quota.Unit.TOKENS, first.metadata().rateLimit().unit(), "tokens apart");
    assertInstanceOf(Verdict.Allow.class, admit(a, TestConfigs.SERVICE_KEY, HELLO + "}"));
    Verdict.Deny over =
        assertInstanceOf(Verdict.Deny.class, admit(a, TestConfigs.SERVICE_KEY, HELLO + "}"));
    assertEquals(Reason.QUOTA_EXCEEDED, over.reason());
    assertEquals(429, over.error().status());
    assertEquals("requests", over.error().type());
    assertEquals("rate_limit_exceeded", over.error().code());
    assertTrue(
        over.error().message().startsWith("Rate limit reached for gpt-4o-mini on requests per 1m"),
        over.error().message());
    assertEquals("2", over.headers().get("x-ratelimit-limit-requests"));
    assertEquals("0", over.headers().get("x-ratelimit-remaining-requests"));
    assertEquals("1m0s", over.headers().get("x-ratelimit-reset-requests"));
    assertEquals("60", over.headers().get("retry-after"));
    assertNull(over.headers().get("x-ratelimit-limit-tokens"));
  }

  @Test
  void shadowLimitsAreCountedAndReportedButNeverRefuse() {
    Admission a =
        admission(
            "- { scope: user, window: 1m, requests: 1, mode: shadow }\n"
                + "- { scope: user, window: 1m, tokens: 50, mode: shadow }\n"
                + "- { scope: user, window: 1m, requests: 100 }");
    Verdict.Allow first =
        assertInstanceOf(Verdict.Allow.class, admit(a, TestConfigs.SERVICE_KEY, HELLO + "}"));
    assertEquals(
        "user:1m:tokens",
        first.metadata().shadowExceeded(),
        "within the request limit; over 50 tokens at once (256 are reserved for the output)");
    for (int i = 0; i < 3; i++) {
      Verdict.Allow over =
          assertInstanceOf(Verdict.Allow.class, admit(a, TestConfigs.SERVICE_KEY, HELLO + "}"));
      assertEquals(Reason.ALLOW, over.reason());
      assertEquals("user:1m:requests,user:1m:tokens", over.metadata().shadowExceeded());
      assertEquals(
          "100",
          over.metadata().rateLimitRequests().headers().get("x-ratelimit-limit-requests"),
          "the headers are the enforced limit's, never a shadow one's");
      assertNull(over.metadata().rateLimit(), "no enforced token limit");
    }
    assertEquals(Map.of("user:1m:requests", 3L, "user:1m:tokens", 4L), stats.shadowExceeded());
    assertEquals(Map.of("allow", 4L), stats.counts());
  }

  @Test
  void quotaRefusalsAreCountedInTheLedgerByScopeAndWindow() {
    InMemoryUsageLedger ledger = new InMemoryUsageLedger(CLOCK);
    Admission a =
        admission(
            "- { scope: user, window: 1m, tokens: 100 }\n"
                + "- { scope: global, window: 1h, tokens: 1000000 }",
            ledger);
    String body = HELLO + ",\"max_tokens\":60}";
    assertInstanceOf(Verdict.Allow.class, admit(a, TestConfigs.SERVICE_KEY, body));
    assertInstanceOf(Verdict.Deny.class, admit(a, TestConfigs.SERVICE_KEY, body));
    assertInstanceOf(Verdict.Deny.class, admit(a, TestConfigs.SERVICE_KEY, body));
    LocalDate today = LocalDate.parse("2026-11-22");
    List<DailyUsageRow> rows = ledger.read("default", today, today);
    assertEquals(1, rows.size());
    assertEquals(new LedgerKey(today, "default", "alice", "web", "gpt-4o-mini"), rows.get(0).key());
    // an allow is counted when it is settled, not at admission
    assertEquals(new DailyUsage(0, 0, 0, 0, 0, 0, Map.of("user:1m", 2L)), rows.get(0).usage());
  }
}
