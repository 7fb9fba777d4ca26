package dev.tollgate.config;

import java.time.Duration;
import java.util.List;

/**
 * ext_proc accounting.
 *
 * @param addIncludeUsage add {@code stream_options.include_usage: true} to streaming requests
 *     (needs request body BUFFERED)
 * @param ticketKeys HMAC keys sealing the reservation ticket handed to Envoy (first seals, any
 *     opens); empty: a random key generated once per cluster
 * @param pendingTtl how long a reservation waits for its settlement
 * @param pendingExpiry what happens to a reservation whose settlement never came
 * @param missingUsage what a response without usage from the provider is charged
 */
public record AccountingConfig(
    boolean addIncludeUsage,
    List<Secret> ticketKeys,
    Duration pendingTtl,
    PendingExpiry pendingExpiry,
    MissingUsage missingUsage) {
  /** Defaults: include_usage added, a generated ticket key, 1 h, keep, the reservation. */
  public static final AccountingConfig DEFAULTS =
      new AccountingConfig(
          true, List.of(), Duration.ofHours(1), PendingExpiry.KEEP, MissingUsage.RESERVATION);

  public AccountingConfig {
    ticketKeys = List.copyOf(ticketKeys);
  }

  /** What an expired reservation becomes. */
  public enum PendingExpiry {
    /** It stays charged as reserved (the request may have reached the upstream). */
    KEEP,
    /** It is given back. */
    RELEASE
  }

  /** What a response is charged when the provider reports no usage. */
  public enum MissingUsage {
    /**
     * The whole reservation stays charged: hidden reasoning tokens and background work are billed.
     */
    RESERVATION,
    /** The prompt plus the output deltas seen in the stream. */
    OBSERVED
  }
}
