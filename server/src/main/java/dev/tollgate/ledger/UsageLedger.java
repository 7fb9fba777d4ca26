package dev.tollgate.ledger;

import java.time.Duration;
import java.time.LocalDate;
import java.util.List;

/**
 * The usage ledger: every settlement, refund and quota refusal adds to the daily aggregate of its
 * {@link LedgerKey}. Adding never blocks on a store: implementations may hold changes back and
 * write them later ({@link #flush()} writes them now). Settlements are recorded once, after the
 * quota store confirmed that the settlement counted.
 */
public interface UsageLedger extends AutoCloseable {
  /** How long aggregates are kept unless configured ({@code store.persistence.retention_days}). */
  Duration DEFAULT_RETENTION = Duration.ofDays(400);

  /** A ledger that records nothing. */
  UsageLedger NONE =
      new UsageLedger() {
        @Override
        public void add(LedgerKey key, DailyUsage delta) {}

        @Override
        public List<DailyUsageRow> read(String tier, LocalDate from, LocalDate to) {
          return List.of();
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };

  /** Adds {@code delta} to the aggregate of {@code key}. Never blocks on a store. */
  void add(LedgerKey key, DailyUsage delta);

  /** One request charged: tokens as reported (input includes cached), money as priced. */
  default void settled(LedgerKey key, long input, long cached, long output, long nanoUsd) {
    add(key, DailyUsage.settled(input, cached, output, nanoUsd));
  }

  /** One request given back (the upstream failed): counted, with nothing charged. */
  default void refunded(LedgerKey key) {
    add(key, DailyUsage.refunded());
  }

  /** One request refused by the quota of {@code scope} ({@code user}, ...) on {@code window}. */
  default void refused(LedgerKey key, String scope, String window) {
    add(key, DailyUsage.refused(scope, window));
  }

  /**
   * Every aggregate of {@code tier} from {@code from} to {@code to} (UTC days, both included), as
   * written so far (call {@link #flush()} first to include this replica's latest changes), sorted
   * by day, user, service key and model.
   */
  List<DailyUsageRow> read(String tier, LocalDate from, LocalDate to);

  /** Writes the changes held back, and waits for them (bounded). */
  void flush();

  /** Flushes and stops. */
  @Override
  void close();

  /** The order of {@link #read}'s rows. */
  java.util.Comparator<DailyUsageRow> ROW_ORDER =
      java.util.Comparator.<DailyUsageRow, LocalDate>comparing(r -> r.key().day())
          .thenComparing(r -> r.key().tier())
          .thenComparing(r -> r.key().user())
          .thenComparing(r -> r.key().serviceKey())
          .thenComparing(r -> r.key().model());
}
