package dev.tollgate.ledger;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The ledger of one process (with the in-memory quota store, and in tests): aggregates in a {@link
 * ConcurrentHashMap}, written at once. Days older than the retention are dropped by a sweep that
 * runs at most once a minute.
 */
public final class InMemoryUsageLedger implements UsageLedger {
  private static final long SWEEP_EVERY_MILLIS = 60_000;
  private final ConcurrentHashMap<LedgerKey, DailyUsage> days = new ConcurrentHashMap<>();
  private final Clock clock;
  private final long retentionDays;
  private final AtomicLong nextSweep = new AtomicLong(Long.MIN_VALUE);

  /** Kept for {@link UsageLedger#DEFAULT_RETENTION}. */
  public InMemoryUsageLedger(Clock clock) {
    this(clock, DEFAULT_RETENTION);
  }

  /**
   * @param clock decides which days are past the retention
   * @param retention how long aggregates are kept (whole days)
   */
  public InMemoryUsageLedger(Clock clock, Duration retention) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.retentionDays = Math.max(1, retention.toDays());
  }

  @Override
  public void add(LedgerKey key, DailyUsage delta) {
    sweep();
    days.merge(key, delta, DailyUsage::plus);
  }

  @Override
  public List<DailyUsageRow> read(String tier, LocalDate from, LocalDate to) {
    List<DailyUsageRow> out = new ArrayList<>();
    for (Map.Entry<LedgerKey, DailyUsage> e : days.entrySet()) {
      LedgerKey k = e.getKey();
      if (k.tier().equals(tier) && !k.day().isBefore(from) && !k.day().isAfter(to)) {
        out.add(new DailyUsageRow(k, e.getValue()));
      }
    }
    out.sort(ROW_ORDER);
    return out;
  }

  @Override
  public void flush() {}

  @Override
  public void close() {}

  /** Number of aggregates held. */
  public int size() {
    return days.size();
  }

  private void sweep() {
    long now = clock.millis();
    long next = nextSweep.get();
    if (now < next || !nextSweep.compareAndSet(next, now + SWEEP_EVERY_MILLIS)) {
      return;
    }
    LocalDate oldest = LedgerKey.utcDay(now).minusDays(retentionDays);
    days.keySet().removeIf(k -> k.day().isBefore(oldest));
  }
}
