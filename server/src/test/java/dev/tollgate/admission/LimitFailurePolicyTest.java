package dev.tollgate.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.tollgate.TestConfigs;
import dev.tollgate.accounting.TicketSeal;
import dev.tollgate.auth.InMemoryNonceStore;
import dev.tollgate.config.Secret;
import dev.tollgate.quota.Charge;
import dev.tollgate.quota.ForwardingQuotaStore;
import dev.tollgate.quota.InMemoryQuotaStore;
import dev.tollgate.quota.KeyReserveResult;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.QuotaService;
import dev.tollgate.quota.StoreUnavailableException;
import dev.tollgate.tokens.Encodings;
import dev.tollgate.tokens.PromptCounter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code on_error} per limit: which limits apply to a request decides when the store is down. */
class LimitFailurePolicyTest {
  private static final Encodings ENCODINGS = new Encodings();
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-11-22T12:00:00Z"), ZoneOffset.UTC);
  private static final TicketSeal SEAL =
      new TicketSeal(List.of(new Secret("failure-policy-test-key-0123456789ab", "test")));
  private static final String HELLO =
      "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

  /** A store whose every reservation fails, as an unreachable cluster does. */
  static final class DownStore extends ForwardingQuotaStore {
    DownStore() {
      super(new InMemoryQuotaStore());
    }

    @Override
    public CompletionStage<KeyReserveResult> reserve(
        String key, List<Limit> limits, Charge charge, long now, boolean enforce) {
      return CompletableFuture.failedFuture(new StoreUnavailableException("cluster down", null));
    }
  }

  @org.junit.jupiter.api.Test
  void aRequestRouteFollowsItsLimitsFailurePolicyWithoutEverSettingAnUpstreamKey() {
    Admission a =
        new Admission(
            RoutesAdmissionTest.config(
                "- { scope: conversation, window: 1m, requests: 5, on_error: allow }",
                RoutesAdmissionTest.ROUTES),
            new PromptCounter(ENCODINGS),
            new QuotaService(new DownStore(), CLOCK, Duration.ofMillis(150)),
            new InMemoryNonceStore(),
            CLOCK,
            new AdmissionStats(),
            SEAL);
    Verdict.Allow allow =
        assertInstanceOf(
            Verdict.Allow.class,
            RoutesAdmissionTest.call(a, "GET", "/actions/weather", "c-1", null));
    assertEquals(Reason.ALLOW_STORE_UNAVAILABLE, allow.reason());
    assertEquals(null, allow.upstreamApiKey());
    assertEquals(true, allow.headersToRemove().contains("authorization"));
  }

  @ParameterizedTest(name = "store {0}, limits [{1}] -> {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        // a per-minute user limit fails open, the global budget fails closed: refused
        "deny  | user 1m requests 10 allow; global month usd 100 -      | deny",
        "deny  | user 1m requests 10 allow                               | allow",
        "deny  | user 1m requests 10 -                                   | deny",
        "allow | user 1m requests 10 -; global month usd 100 deny        | deny",
        "allow | user 1m requests 10 -                                   | allow",
        // a shadow limit never refuses, so it never refuses for a store failure either
        "deny  | user 1m requests 10 allow; global 1d tokens 900 deny shadow | allow",
      })
  void aRequestIsRefusedWhenAnyEnforcedLimitFailsClosed(
      String storePolicy, String limits, String expected) {
    StringBuilder yaml = new StringBuilder();
    for (String l : limits.split(";")) {
      String[] p = l.trim().split("\\s+");
      yaml.append("- { scope: ")
          .append(p[0])
          .append(", window: ")
          .append(p[1])
          .append(", ")
          .append(p[2])
          .append(": ")
          .append(p[3]);
      if (!p[4].equals("-")) {
        yaml.append(", on_error: ").append(p[4]);
      }
      if (p.length > 5) {
        yaml.append(", mode: ").append(p[5]);
      }
      yaml.append(" }\n");
    }
    Admission a =
        new Admission(
            TestConfigs.parse(TestConfigs.yaml(yaml.toString(), "memory", storePolicy)),
            new PromptCounter(ENCODINGS),
            new QuotaService(new DownStore(), CLOCK, Duration.ofMillis(150)),
            new InMemoryNonceStore(),
            CLOCK,
            new AdmissionStats(),
            SEAL);
    Verdict v =
        a.admit(
                new AdmissionRequest(
                    "POST",
                    "/v1/chat/completions",
                    Map.of(
                        "authorization",
                        "Bearer " + TestConfigs.SERVICE_KEY,
                        "x-on-behalf-of",
                        "alice"),
                    HELLO.getBytes(StandardCharsets.UTF_8),
                    false,
                    Map.of()))
            .toCompletableFuture()
            .join();
    if (expected.equals("allow")) {
      Verdict.Allow allow = assertInstanceOf(Verdict.Allow.class, v);
      assertEquals(Reason.ALLOW_STORE_UNAVAILABLE, allow.reason());
      assertEquals("unavailable", allow.metadata().store());
    } else {
      Verdict.Deny deny = assertInstanceOf(Verdict.Deny.class, v);
      assertEquals(Reason.STORE_UNAVAILABLE, deny.reason());
      assertEquals(503, deny.error().status());
    }
  }
}
