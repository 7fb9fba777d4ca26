/**
 * Usage analytics over the usage ledger's daily rows: the usage report of a tier ({@link
 * UsageAnalytics#report}), its top users ({@link UsageAnalytics#topUsers}) and advice on its limits
 * ({@link UsageAnalytics#advise}); {@link Analytics} reads the rows through a {@link LedgerReader}
 * (or, from a database, only their sums through a {@link LedgerSums}) and checks the arguments.
 * Plain Java: the admin service only translates.
 *
 * <p>Percentiles are nearest-rank: the p-th percentile of n sorted samples is the sample of rank
 * {@code ceil(p/100 × n)} (1-based), so it is always one of the samples.
 */
package dev.tollgate.analytics;
