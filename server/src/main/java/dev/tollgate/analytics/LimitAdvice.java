package dev.tollgate.analytics;

/**
 * The advice on one limit of a tier. Amounts are in the limit's unit: tokens, or dollars. A
 * "subject" is what the limit counts: a user (scope user), a service key (scope key), or the whole
 * tier (scope global, one subject).
 *
 * @param scope {@code user}, {@code key}, {@code global} or {@code conversation}
 * @param window the limit's window
 * @param unit {@code tokens} or {@code usd}
 * @param current the configured value
 * @param suggested the percentile of per-(subject, period) usage × headroom, rounded up to a
 *     readable number; 0 when not advisable
 * @param advisable whether the ledger can say
 * @param note why not, or how the periods were taken
 * @param samples (subject, period) pairs with usage looked at
 * @param refusedCurrent subjects whose usage in some period exceeded the current value
 * @param refusedSuggested same, for the suggested value
 * @param worstCaseUsdCurrent a subject using the whole current limit in one period, in dollars
 * @param worstCaseUsdSuggested same, for the suggested value
 * @param projectedUsdCurrent per period: sum over subjects of min(usage, current), in dollars,
 *     averaged over the lookback periods
 * @param projectedUsdSuggested same, for the suggested value
 */
public record LimitAdvice(
    String scope,
    String window,
    String unit,
    double current,
    double suggested,
    boolean advisable,
    String note,
    long samples,
    long refusedCurrent,
    long refusedSuggested,
    double worstCaseUsdCurrent,
    double worstCaseUsdSuggested,
    double projectedUsdCurrent,
    double projectedUsdSuggested) {}
