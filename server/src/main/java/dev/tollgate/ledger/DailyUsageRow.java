package dev.tollgate.ledger;

import java.util.Objects;

/**
 * One daily aggregate: what it is about and what it holds.
 *
 * @param key the day, tier, user, service key and model
 * @param usage the aggregate
 */
public record DailyUsageRow(LedgerKey key, DailyUsage usage) {
  public DailyUsageRow {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(usage, "usage");
  }

  /** The same key with both aggregates added. */
  public DailyUsageRow plus(DailyUsage more) {
    return new DailyUsageRow(key, usage.plus(more));
  }
}
