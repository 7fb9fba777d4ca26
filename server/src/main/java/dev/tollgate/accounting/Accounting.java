package dev.tollgate.accounting;

import dev.tollgate.config.AccountingConfig;
import dev.tollgate.ledger.LedgerKey;
import dev.tollgate.ledger.LedgerTag;
import dev.tollgate.ledger.UsageLedger;
import dev.tollgate.quota.Charge;
import dev.tollgate.quota.QuotaService;
import dev.tollgate.quota.Reservation;
import dev.tollgate.quota.Settlement;
import dev.tollgate.response.Usage;
import dev.tollgate.stats.MetricLabels;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The settlement policy: what an answered request is charged. A non-2xx answer gives the
 * reservation back; usage the provider reported is priced and charged; when it reported nothing,
 * {@code accounting.missing_usage} decides (the reservation stands, or what was observed is
 * charged). Plain Java: the ext_proc adapter feeds it what it read from Envoy.
 */
public final class Accounting {
  private static final Logger LOG = LoggerFactory.getLogger(Accounting.class);
  private final QuotaService quotas;
  private final Pricing pricing;
  private final AccountingConfig.MissingUsage missingUsage;
  private final UsageLedger ledger;
  private final AccountingStats stats;

  /**
   * Without a ledger.
   *
   * @param quotas where reservations are settled or released
   * @param pricing prices the usage
   * @param missingUsage what to charge when the provider reports no usage
   */
  public Accounting(
      QuotaService quotas, Pricing pricing, AccountingConfig.MissingUsage missingUsage) {
    this(quotas, pricing, missingUsage, UsageLedger.NONE);
  }

  /**
   * @param quotas where reservations are settled or released
   * @param pricing prices the usage
   * @param missingUsage what to charge when the provider reports no usage
   * @param ledger where every settlement and refund that counted is added, once
   */
  public Accounting(
      QuotaService quotas,
      Pricing pricing,
      AccountingConfig.MissingUsage missingUsage,
      UsageLedger ledger) {
    this(quotas, pricing, missingUsage, ledger, new AccountingStats(MetricLabels.UNCONFIGURED));
  }

  /**
   * @param quotas where reservations are settled or released
   * @param pricing prices the usage
   * @param missingUsage what to charge when the provider reports no usage
   * @param ledger where every settlement and refund that counted is added, once
   * @param stats where every settlement and refund that counted is counted, once
   */
  public Accounting(
      QuotaService quotas,
      Pricing pricing,
      AccountingConfig.MissingUsage missingUsage,
      UsageLedger ledger,
      AccountingStats stats) {
    this.stats = Objects.requireNonNull(stats, "stats");
    this.quotas = Objects.requireNonNull(quotas, "quotas");
    this.pricing = Objects.requireNonNull(pricing, "pricing");
    this.missingUsage = Objects.requireNonNull(missingUsage, "missingUsage");
    this.ledger = Objects.requireNonNull(ledger, "ledger");
  }

  /** How a reservation was closed. */
  public enum Outcome {
    /** The upstream answered non-2xx: the reservation was given back. */
    REFUNDED,
    /** Charged the usage the provider reported. */
    SETTLED_FROM_USAGE,
    /**
     * No usage reported, {@code missing_usage: observed}: charged the prompt and the deltas seen.
     */
    SETTLED_FROM_DELTAS,
    /** No usage reported, {@code missing_usage: reservation}: the reservation stands. */
    KEPT_RESERVATION
  }

  /**
   * A closed reservation.
   *
   * @param outcome which policy applied
   * @param charge what is charged, or null for a refund
   * @param store the store's answer, completing later
   */
  public record Closed(Outcome outcome, Charge charge, CompletionStage<Settlement> store) {}

  /**
   * What the response says about one request, as ext_proc saw it.
   *
   * @param upstreamFailed the upstream's status was not 2xx (or never came with one)
   * @param observed the usage read from the response (reported, or counted from the deltas seen:
   *     asked for only when the policy needs it, since counting costs), or null if no response was
   *     seen at all
   * @param reported whether the provider reported its usage itself
   */
  public record Answer(boolean upstreamFailed, Supplier<Usage> observed, boolean reported) {}

  /** Opens the account of one allowed request, settled at most once. */
  public Account open(ReservationTicket ticket) {
    return new Account(this, ticket);
  }

  Closed close(ReservationTicket ticket, Answer answer) {
    Reservation reservation = ticket.reservation();
    LedgerKey day =
        LedgerKey.of(
            reservation.atMillis(), ticket.tier(), ticket.user(), ticket.key(), ticket.model());
    if (answer.upstreamFailed()) {
      CompletionStage<Settlement> released = quotas.release(reservation.id());
      return new Closed(
          Outcome.REFUNDED, null, recorded(released, stats::refunded, () -> ledger.refunded(day)));
    }
    boolean fromProvider = answer.observed() != null && answer.reported();
    Outcome outcome;
    Charge actual;
    Usage used;
    if (fromProvider || missingUsage == AccountingConfig.MissingUsage.OBSERVED) {
      // no response at all: the stream was reset before the upstream answered
      Usage u =
          answer.observed() == null
              ? new Usage(ticket.promptTokens(), 0, 0, 0, false)
              : answer.observed().get();
      outcome = fromProvider ? Outcome.SETTLED_FROM_USAGE : Outcome.SETTLED_FROM_DELTAS;
      long usd =
          pricing.nanoUsd(ticket.model(), u.inputTokens(), u.cachedInputTokens(), u.outputTokens());
      actual = new Charge(Math.max(0, u.totalTokens()), Math.max(0, usd));
      used = u;
    } else {
      // the provider said nothing (stream cut, background response, no answer): what was used is
      // unknowable (reasoning tokens are billed but never streamed), so the reservation stands
      outcome = Outcome.KEPT_RESERVATION;
      actual = reservation.charge();
      long prompt = Math.min(ticket.promptTokens(), actual.tokens());
      used = new Usage(prompt, 0, actual.tokens() - prompt, 0, false);
    }
    CompletionStage<Settlement> settled = quotas.settle(reservation.id(), actual);
    long nanoUsd = actual.nanoUsd();
    Usage charged = used;
    boolean measured = outcome != Outcome.KEPT_RESERVATION;
    return new Closed(
        outcome,
        actual,
        recorded(
            settled,
            () -> stats.settled(ticket, charged, actual, measured),
            () ->
                ledger.settled(
                    day,
                    charged.inputTokens(),
                    charged.cachedInputTokens(),
                    charged.outputTokens(),
                    nanoUsd)));
  }

  /**
   * Records a reservation that expired unsettled ({@code accounting.pending_expiry}) in the ledger,
   * from the {@link LedgerTag} held with it: given back, as a refunded request; kept, as a response
   * kept as reserved (the prompt as input, the rest as output, the reserved price). Reservations
   * without a tag record nothing.
   */
  public static void expired(UsageLedger ledger, Reservation reservation, boolean released) {
    LedgerTag tag = LedgerTag.parse(reservation.tag());
    if (tag == null) {
      return;
    }
    LedgerKey day = tag.key(reservation.atMillis());
    if (released) {
      ledger.refunded(day);
      return;
    }
    Charge reserved = reservation.charge();
    long prompt = Math.min(Math.max(0, tag.promptTokens()), reserved.tokens());
    ledger.settled(day, prompt, 0, reserved.tokens() - prompt, reserved.nanoUsd());
  }

  /**
   * The store's answer, once the metrics and the ledger have the settlement when it counted ({@link
   * Settlement#SETTLED}; a replay, {@link Settlement#NOT_HELD}, records nothing).
   */
  private static CompletionStage<Settlement> recorded(
      CompletionStage<Settlement> store, Runnable count, Runnable record) {
    return store.thenApply(
        s -> {
          if (s == Settlement.SETTLED) {
            count.run();
            try {
              record.run();
            } catch (RuntimeException e) {
              // the ledger is for analytics: it never fails a settlement
              LOG.warn("ledger.record_failed: {}", e.toString());
            }
          }
          return s;
        });
  }
}
