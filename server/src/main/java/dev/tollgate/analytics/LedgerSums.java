package dev.tollgate.analytics;

import dev.tollgate.quota.Scope;
import dev.tollgate.quota.Unit;
import java.time.LocalDate;
import java.util.List;

/**
 * Where the analytics get the sums of a tier's daily rows when the rows are too many to read: a
 * database sums them itself and only the sums are returned. Every method sees what this replica
 * recorded until now.
 *
 * @throws LedgerUnavailableException (any method) if the store did not answer
 */
public interface LedgerSums {
  /**
   * The sums of the report of {@code tier} over {@code from}..{@code to} (whole periods of {@code
   * period}).
   */
  ReportSums report(String tier, Period period, LocalDate from, LocalDate to);

  /** Every user of {@code tier} with rows from {@code from} to {@code to}, any order. */
  List<UserTotal> users(String tier, LocalDate from, LocalDate to);

  /**
   * The sums of {@code tier}'s usage in {@code unit} by subject of {@code scope} ({@link
   * Scope#USER}: users, {@link Scope#KEY}: service keys, otherwise the whole tier) and by period.
   *
   * @param periods consecutive, each {@code [first day, last day]}
   */
  AdviceSums advice(String tier, Scope scope, Unit unit, List<LocalDate[]> periods);
}
