package dev.tollgate.persistence;

import dev.tollgate.ledger.DailyUsage;
import dev.tollgate.ledger.DailyUsageRow;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.migration.Context;
import org.flywaydb.core.api.migration.JavaMigration;

/**
 * Schema version 5: adds the refusals of the ledger rows written before version 4 to its sums (the
 * SQL migration sums the numbers; refusal counts are text, parsed here). Reads only the rows with
 * refusals, and adds them as {@link LedgerTable} does for a row that gained its refusals.
 */
final class RollupRefusalsMigration implements JavaMigration {
  private final Database.Dialect dialect;

  RollupRefusalsMigration(Database.Dialect dialect) {
    this.dialect = dialect;
  }

  @Override
  public MigrationVersion getVersion() {
    return MigrationVersion.fromVersion("5");
  }

  @Override
  public String getDescription() {
    return "usage rollup refusals";
  }

  @Override
  public Integer getChecksum() {
    return null;
  }

  @Override
  public boolean canExecuteInTransaction() {
    return true;
  }

  @Override
  public void migrate(Context context) throws Exception {
    Connection c = context.getConnection();
    LedgerRollups rollups = new LedgerRollups(dialect);
    List<LedgerRollups.Change> changes = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT " + LedgerTable.COLUMNS + " FROM tollgate_usage_ledger WHERE refusals <> ''")) {
      ps.setFetchSize(10_000);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          DailyUsageRow r = LedgerTable.row(rs);
          DailyUsage u = r.usage();
          DailyUsage without =
              new DailyUsage(
                  u.requests(),
                  u.refundedRequests(),
                  u.inputTokens(),
                  u.cachedInputTokens(),
                  u.outputTokens(),
                  u.nanoUsd(),
                  Map.of());
          changes.add(new LedgerRollups.Change(r.key(), without, u));
          if (changes.size() == 10_000) {
            rollups.apply(c, changes);
            changes.clear();
          }
        }
      }
    }
    rollups.apply(c, changes);
  }
}
