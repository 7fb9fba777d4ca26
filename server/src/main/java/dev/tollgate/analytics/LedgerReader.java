package dev.tollgate.analytics;

import dev.tollgate.ledger.DailyUsageRow;
import java.time.LocalDate;
import java.util.List;

/**
 * Where the analytics read the ledger's daily rows: the database when persistence is on (the
 * complete history), otherwise the ledger held in memory.
 */
@FunctionalInterface
public interface LedgerReader {
  /**
   * Every row of {@code tier} from {@code from} to {@code to} (UTC days, both included), including
   * what this replica recorded until now, preferably sorted by day.
   *
   * @throws LedgerUnavailableException if the store did not answer
   */
  List<DailyUsageRow> read(String tier, LocalDate from, LocalDate to);
}
