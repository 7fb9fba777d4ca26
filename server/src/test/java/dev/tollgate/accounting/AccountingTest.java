package dev.tollgate.accounting;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.config.AccountingConfig.MissingUsage;
import dev.tollgate.config.ModelConfig;
import dev.tollgate.ledger.UsageLedger;
import dev.tollgate.quota.Charge;
import dev.tollgate.quota.InMemoryQuotaStore;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.QuotaService;
import dev.tollgate.quota.QuotaTarget;
import dev.tollgate.quota.ReserveResult;
import dev.tollgate.quota.Scope;
import dev.tollgate.quota.Settlement;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.Window;
import dev.tollgate.response.Usage;
import dev.tollgate.tokens.ApiKind;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The settlement policies, without gRPC or Envoy: an in-memory store and a fixed clock. */
class AccountingTest {
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-11-22T12:00:00Z"), ZoneOffset.UTC);
  private static final Limit TOKENS = new Limit(Window.parse("1h"), Unit.TOKENS, 1000);
  private static final Pricing PRICING =
      new Pricing(
          Map.of(
              "m", new ModelConfig("m", null, new BigDecimal("30"), null, new BigDecimal("60"))));
  private static final QuotaTarget USER =
      new QuotaTarget(Scope.USER, "user:a", List.of(TOKENS), true);

  private final QuotaService quotas =
      new QuotaService(new InMemoryQuotaStore(), CLOCK, Duration.ofMillis(150));

  private Account reserve(MissingUsage policy, long tokens) {
    ReserveResult.Reserved r =
        (ReserveResult.Reserved)
            quotas.reserve(List.of(USER), new Charge(tokens, 0)).toCompletableFuture().join();
    ReservationTicket t =
        new ReservationTicket(
            "a", null, "svc", "default", "m", "chat_completions", 10, r.reservation());
    return new Accounting(quotas, PRICING, policy).open(t);
  }

  private long used() {
    return quotas.status("user:a", List.of(TOKENS)).toCompletableFuture().join().get(0).used();
  }

  private static Settlement done(Accounting.Closed c) {
    return c.store().toCompletableFuture().join();
  }

  @Test
  void aNon2xxAnswerGivesTheReservationBack() {
    Account a = reserve(MissingUsage.RESERVATION, 500);
    assertEquals(500, used());
    Accounting.Closed c =
        a.close(
                new Accounting.Answer(
                    true,
                    () -> {
                      throw new AssertionError("a refund reads no usage");
                    },
                    true))
            .orElseThrow();
    assertEquals(Accounting.Outcome.REFUNDED, c.outcome());
    assertEquals(Settlement.SETTLED, done(c));
    assertEquals(0, used());
  }

  @Test
  void reportedUsageIsPricedAndCharged() {
    Account a = reserve(MissingUsage.RESERVATION, 500);
    Accounting.Closed c =
        a.close(new Accounting.Answer(false, () -> new Usage(10, 4, 30, 0, true), true))
            .orElseThrow();
    assertEquals(Accounting.Outcome.SETTLED_FROM_USAGE, c.outcome());
    // $30 and $60 per million tokens: 30,000 and 60,000 nano-USD a token; cached input at the input
    // price (no cached price configured)
    assertEquals(new Charge(40, 10 * 30_000 + 30 * 60_000), c.charge());
    assertEquals(Settlement.SETTLED, done(c));
    assertEquals(40, used());
  }

  @Test
  void withoutReportedUsageTheReservationStandsByDefault() {
    Account a = reserve(MissingUsage.RESERVATION, 500);
    AtomicInteger counted = new AtomicInteger();
    Accounting.Closed c =
        a.close(
                new Accounting.Answer(
                    false,
                    () -> {
                      counted.incrementAndGet();
                      return new Usage(10, 0, 3, 0, false);
                    },
                    false))
            .orElseThrow();
    assertEquals(Accounting.Outcome.KEPT_RESERVATION, c.outcome());
    assertEquals(new Charge(500, 0), c.charge());
    assertEquals(0, counted.get(), "the deltas are not counted when the policy does not use them");
    assertEquals(Settlement.SETTLED, done(c));
    assertEquals(500, used());
  }

  @Test
  void observedChargesThePromptAndTheDeltasSeen() {
    Account a = reserve(MissingUsage.OBSERVED, 500);
    Accounting.Closed c =
        a.close(new Accounting.Answer(false, () -> new Usage(10, 0, 3, 0, false), false))
            .orElseThrow();
    assertEquals(Accounting.Outcome.SETTLED_FROM_DELTAS, c.outcome());
    assertEquals(new Charge(13, 10 * 30_000 + 3 * 60_000), c.charge());
    done(c);
    assertEquals(13, used());

    // no response at all (reset before the upstream answered): the ticket's prompt only
    Account b = reserve(MissingUsage.OBSERVED, 200);
    Accounting.Closed none = b.close(new Accounting.Answer(false, null, false)).orElseThrow();
    assertEquals(Accounting.Outcome.SETTLED_FROM_DELTAS, none.outcome());
    assertEquals(new Charge(10, 10 * 30_000), none.charge());
  }

  @Test
  void anAccountClosesAtMostOnce() {
    Account a = reserve(MissingUsage.RESERVATION, 500);
    assertFalse(a.isClosed());
    done(
        a.close(new Accounting.Answer(false, () -> new Usage(10, 0, 20, 0, true), true))
            .orElseThrow());
    assertTrue(a.isClosed());
    assertTrue(a.close(new Accounting.Answer(true, null, false)).isEmpty());
    assertTrue(
        a.close(new Accounting.Answer(false, () -> new Usage(10, 0, 900, 0, true), true))
            .isEmpty());
    assertEquals(30, used());
    // a second account on the same ticket (a replay) finds nothing held and changes nothing
    Account replay = new Accounting(quotas, PRICING, MissingUsage.RESERVATION).open(a.ticket());
    assertEquals(
        Settlement.NOT_HELD,
        done(
            replay
                .close(new Accounting.Answer(false, () -> new Usage(10, 0, 900, 0, true), true))
                .orElseThrow()));
    assertEquals(30, used());
  }

  @Test
  void theStatsCountWhatSettlementsChargedOnceAndTheEstimateErrorOnlyWhenMeasured() {
    AccountingStats stats =
        new AccountingStats(dev.tollgate.stats.MetricLabels.of(List.of("default"), List.of()));
    Accounting accounting =
        new Accounting(quotas, PRICING, MissingUsage.RESERVATION, UsageLedger.NONE, stats);
    Account measured = accounting.open(reserve(MissingUsage.RESERVATION, 500).ticket());
    done(
        measured
            .close(new Accounting.Answer(false, () -> new Usage(10, 4, 240, 0, true), true))
            .orElseThrow());
    Account kept = accounting.open(reserve(MissingUsage.RESERVATION, 100).ticket());
    done(kept.close(new Accounting.Answer(false, null, false)).orElseThrow());
    Account refunded = accounting.open(reserve(MissingUsage.RESERVATION, 100).ticket());
    done(refunded.close(new Accounting.Answer(true, null, false)).orElseThrow());
    // a replay of the first: not held, counted nowhere
    done(
        accounting
            .open(measured.ticket())
            .close(new Accounting.Answer(false, () -> new Usage(10, 0, 900, 0, true), true))
            .orElseThrow());

    assertEquals(2, stats.settledCount());
    assertEquals(1, stats.refundedCount());
    java.util.Map<String, Long> tokens = new java.util.TreeMap<>();
    stats
        .tokens()
        .forEach((tier, model, kind, n) -> tokens.put(tier + " " + model + " " + kind, n));
    // the model "m" is not among the labels: other; the kept reservation is prompt 10 + 90 output
    assertEquals(
        java.util.Map.of(
            "default other input", 20L,
            "default other cached_input", 4L,
            "default other output", 330L),
        tokens);
    long[] usd = new long[1];
    stats.nanoUsd().forEach((tier, model, unused, n) -> usd[0] += n);
    assertEquals(10 * 30_000 + 240 * 60_000, usd[0], "the kept reservation was reserved at $0");
    var error = stats.estimateError().snapshots().get("default");
    assertEquals(1, error.count(), "the kept reservation says nothing about the estimate");
    assertEquals((250.0 - 500) / 500, error.sum(), 1e-9);
  }

  @Test
  void includeUsageIsAddedOnlyToStreamsWithoutIt() {
    assertTrue(IncludeUsage.appliesTo(ApiKind.CHAT_COMPLETIONS));
    assertTrue(IncludeUsage.appliesTo(ApiKind.COMPLETIONS));
    assertFalse(IncludeUsage.appliesTo(ApiKind.RESPONSES));
    assertFalse(IncludeUsage.appliesTo(ApiKind.EMBEDDINGS));
    assertArrayEquals(
        bytes("{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}"),
        IncludeUsage.withIncludeUsage(bytes("{\"model\":\"m\",\"stream\":true}")));
    assertArrayEquals(
        bytes("{\"stream\":true,\"stream_options\":{\"x\":1,\"include_usage\":true}}"),
        IncludeUsage.withIncludeUsage(bytes("{\"stream\":true,\"stream_options\":{\"x\":1}}")));
    assertNull(
        IncludeUsage.withIncludeUsage(
            bytes("{\"stream\":true,\"stream_options\":{\"include_usage\":true}}")));
    assertNull(IncludeUsage.withIncludeUsage(bytes("{\"stream\":false}")));
    assertNull(IncludeUsage.withIncludeUsage(bytes("{\"stream\":true")));
    assertNull(IncludeUsage.withIncludeUsage(bytes("[1]")));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
