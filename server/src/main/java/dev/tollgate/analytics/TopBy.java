package dev.tollgate.analytics;

/** What {@link UsageAnalytics#topUsers} orders by. */
public enum TopBy {
  TOKENS,
  USD,
  REFUSALS
}
