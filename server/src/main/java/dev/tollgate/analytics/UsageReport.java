package dev.tollgate.analytics;

import java.time.LocalDate;
import java.util.List;

/**
 * One tier's usage over a range of whole periods. A user "has usage" in a period (or on a day) when
 * at least one of its requests closed then (settled, kept or refunded); refusals alone do not make
 * a sample, but count in {@link #refusals}.
 *
 * @param tier the tier
 * @param period the grouping of the distributions
 * @param from first day covered (a period's first day)
 * @param to last day covered (a period's last day)
 * @param activeUsers users with usage in the range
 * @param tokensPerUser input + output tokens, one sample per user and period with usage
 * @param usdPerUser dollars, one sample per user and period with usage
 * @param totalTokens input + output tokens
 * @param totalNanoUsd money, nano-USD
 * @param totalRequests requests closed
 * @param models totals by model, by model name
 * @param refusals per limit (the tier's current ones first, then any other found in the rows)
 * @param days every day of the range, in order
 * @param tokensHistogram per-user tokens (the samples of {@link #tokensPerUser}) in about 20 bins
 * @param limits the tier's current limits
 */
public record UsageReport(
    String tier,
    Period period,
    LocalDate from,
    LocalDate to,
    long activeUsers,
    Distribution tokensPerUser,
    Distribution usdPerUser,
    long totalTokens,
    long totalNanoUsd,
    long totalRequests,
    List<ModelTotal> models,
    List<LimitRefusals> refusals,
    List<DayTotal> days,
    List<HistogramBin> tokensHistogram,
    List<TierLimit> limits) {

  /** The totals of one model. */
  public record ModelTotal(
      String model,
      long requests,
      long inputTokens,
      long cachedInputTokens,
      long outputTokens,
      long nanoUsd) {}

  /** The refusals of one limit ({@code scope:window}). */
  public record LimitRefusals(String scope, String window, long users, long refusals) {}

  /** One day's totals. */
  public record DayTotal(
      LocalDate day, long activeUsers, long requests, long tokens, long nanoUsd, long refusals) {}

  /** {@code [lower, upper)}; the last bin includes its upper bound. */
  public record HistogramBin(long lower, long upper, long count) {}

  /**
   * One limit of the tier.
   *
   * @param unit {@code tokens} or {@code usd}
   * @param value tokens, or dollars
   */
  public record TierLimit(String scope, String window, String unit, double value) {}
}
