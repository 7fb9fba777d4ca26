package dev.tollgate.analytics;

import java.util.List;
import java.util.Map;

/**
 * The sums a {@link UsageReport} is made of, whoever summed them (the rows in memory, or the
 * database): what {@link UsageAnalytics#report(dev.tollgate.config.TierConfig, Period,
 * java.time.LocalDate, java.time.LocalDate, ReportSums)} turns into the report.
 *
 * @param sampleTokens input + output tokens of each (user, period) with requests, in the first
 *     {@code samples} elements, any order (the array is the record's, not copied)
 * @param sampleNanoUsd nano-USD of the same (user, period), same order
 * @param samples how many (user, period) pairs had requests
 * @param activeUsers users with at least one request over the range
 * @param days every day of the range, in order (refusals included)
 * @param models totals by model, any order
 * @param refusals refusals by {@code scope:window}: users refused at least once, and refusals
 */
public record ReportSums(
    long[] sampleTokens,
    long[] sampleNanoUsd,
    int samples,
    long activeUsers,
    List<UsageReport.DayTotal> days,
    List<UsageReport.ModelTotal> models,
    Map<String, KeyRefusals> refusals) {
  public ReportSums {
    if (samples < 0 || samples > sampleTokens.length || samples > sampleNanoUsd.length) {
      throw new IllegalArgumentException("samples: " + samples + " (beyond the arrays)");
    }
    days = List.copyOf(days);
    models = List.copyOf(models);
    refusals = Map.copyOf(refusals);
  }

  /**
   * The refusals of one {@code scope:window}.
   *
   * @param users users refused at least once
   * @param count refusals
   */
  public record KeyRefusals(long users, long count) {}
}
