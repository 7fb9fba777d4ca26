package dev.tollgate.accounting;

import dev.tollgate.quota.Charge;
import dev.tollgate.response.Usage;
import dev.tollgate.stats.LabelledCounters;
import dev.tollgate.stats.LabelledHistograms;
import dev.tollgate.stats.MetricLabels;
import java.util.concurrent.atomic.LongAdder;

/**
 * What settlements charged, counted once per reservation when the store confirms it (a replayed or
 * expired ticket counts nothing): reservations settled and refunded, tokens by kind and USD by tier
 * and model, and how far the reservation was from what was charged.
 */
public final class AccountingStats {
  /** The {@code kind} label of input tokens (the cached part included). */
  public static final String INPUT = "input";

  /** The {@code kind} label of the cached part of the input. */
  public static final String CACHED_INPUT = "cached_input";

  /** The {@code kind} label of output tokens (reasoning included). */
  public static final String OUTPUT = "output";

  /**
   * Bounds of the estimate error, (charged − reserved) / reserved tokens: -1 is nothing used, 0 an
   * exact reservation, above 0 more used than reserved.
   */
  public static final double[] ESTIMATE_ERROR_BOUNDS = {
    -0.95, -0.9, -0.75, -0.5, -0.25, -0.1, 0, 0.1, 0.25, 0.5, 1
  };

  private volatile MetricLabels labels;
  private final LongAdder settled = new LongAdder();
  private final LongAdder refunded = new LongAdder();
  private final LabelledCounters tokens = new LabelledCounters();
  private final LabelledCounters nanoUsd = new LabelledCounters();
  private final LabelledHistograms estimateError = new LabelledHistograms(ESTIMATE_ERROR_BOUNDS);

  /**
   * @param labels bounds the tier and model labels
   */
  public AccountingStats(MetricLabels labels) {
    this.labels = java.util.Objects.requireNonNull(labels, "labels");
  }

  /** Bounds the tier and model labels by a reloaded configuration's names from now on. */
  public void relabel(MetricLabels labels) {
    this.labels = java.util.Objects.requireNonNull(labels, "labels");
  }

  void refunded() {
    refunded.increment();
  }

  /**
   * One settled reservation.
   *
   * @param ticket the request's ticket
   * @param charged tokens by kind as charged
   * @param actual what was charged
   * @param measured false when the reservation was kept for want of usage (no estimate error)
   */
  void settled(ReservationTicket ticket, Usage charged, Charge actual, boolean measured) {
    settled.increment();
    String tier = labels.tier(ticket.tier());
    String model = labels.model(ticket.model());
    tokens.add(tier, model, INPUT, charged.inputTokens());
    tokens.add(tier, model, CACHED_INPUT, charged.cachedInputTokens());
    tokens.add(tier, model, OUTPUT, charged.outputTokens());
    nanoUsd.add(tier, model, "", actual.nanoUsd());
    long reserved = ticket.reservation().charge().tokens();
    if (measured && reserved > 0) {
      estimateError.get(tier).observe((double) (actual.tokens() - reserved) / reserved);
    }
  }

  /** Reservations settled with a charge. */
  public long settledCount() {
    return settled.sum();
  }

  /** Reservations given back because the upstream answered non-2xx. */
  public long refundedCount() {
    return refunded.sum();
  }

  /**
   * Tokens charged by tier, model and kind ({@link #INPUT}, {@link #CACHED_INPUT}, {@link
   * #OUTPUT}).
   */
  public LabelledCounters tokens() {
    return tokens;
  }

  /** Nano-USD charged by tier and model (the third label empty). */
  public LabelledCounters nanoUsd() {
    return nanoUsd;
  }

  /** (charged − reserved) / reserved tokens of settlements from measured usage, by tier. */
  public LabelledHistograms estimateError() {
    return estimateError;
  }
}
