package dev.tollgate.harness.demo;

import dev.tollgate.ledger.DailyUsageRow;
import dev.tollgate.ledger.UsageLedger;
import java.time.Clock;
import java.time.LocalDate;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What the usage ledger holds for a tier this month (UTC), read directly: the figures the admin
 * API's report is checked against.
 *
 * @param users users with a request (the report's active users; refused-only users are not)
 * @param tokens input + output tokens
 */
record LedgerTotals(
    LocalDate from,
    LocalDate to,
    int users,
    long requests,
    long tokens,
    long nanoUsd,
    long refusals,
    int rows,
    int generatedRows) {

  static LedgerTotals of(UsageLedger ledger, String tier) {
    LocalDate today = LocalDate.now(Clock.systemUTC());
    LocalDate from = today.withDayOfMonth(1);
    ledger.flush();
    List<DailyUsageRow> rows = ledger.read(tier, from, today);
    Set<String> users = new HashSet<>();
    long requests = 0;
    long tokens = 0;
    long nanoUsd = 0;
    long refusals = 0;
    int generated = 0;
    for (DailyUsageRow r : rows) {
      if (r.usage().requests() > 0) {
        users.add(r.key().user());
      }
      requests += r.usage().requests();
      tokens += r.usage().inputTokens() + r.usage().outputTokens();
      nanoUsd += r.usage().nanoUsd();
      refusals += r.usage().refusalCount();
      if (r.key().serviceKey().equals(DemoUsage.GENERATED_KEY)) {
        generated++;
      }
    }
    return new LedgerTotals(
        from, today, users.size(), requests, tokens, nanoUsd, refusals, rows.size(), generated);
  }
}
