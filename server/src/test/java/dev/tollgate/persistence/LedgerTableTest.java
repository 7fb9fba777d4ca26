package dev.tollgate.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tollgate.config.PersistenceConfig;
import dev.tollgate.ledger.DailyUsage;
import dev.tollgate.ledger.DailyUsageRow;
import dev.tollgate.ledger.LedgerKey;
import java.nio.file.Files;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The ledger's table on both databases: upserts, loads by key, a tier's period, retention. */
class LedgerTableTest {
  private static final LocalDate DAY = LocalDate.parse("2026-11-30");

  @Test
  void onTheFileDatabase() throws Exception {
    try (Database db =
        Database.open(PersistenceConfig.file(Files.createTempDirectory("tollgate-ledger-table")))) {
      exercise(new LedgerTable(db));
    }
  }

  @Test
  void onPostgresql() throws Exception {
    try (TestPostgres pg = TestPostgres.start();
        Database db = Database.open(pg.persistence(2))) {
      exercise(new LedgerTable(db));
    }
  }

  private static void exercise(LedgerTable table) throws Exception {
    LedgerKey a = new LedgerKey(DAY, "pro", "ali|ce", "web", "gpt-4o");
    LedgerKey b = new LedgerKey(DAY.minusDays(3), "pro", "bob", "web", "gpt-4o");
    LedgerKey c = new LedgerKey(DAY, "free", "carol", "batch", "gpt-4o-mini");
    DailyUsage refused =
        new DailyUsage(0, 0, 0, 0, 0, 0, Map.of("user:1d", 2L, "global:1m", 1L, "k;=%:x", 3L));
    table.storeAll(
        Map.of(
            a.id(), new DailyUsageRow(a, DailyUsage.settled(10, 2, 5, 700)),
            b.id(), new DailyUsageRow(b, refused),
            c.id(), new DailyUsageRow(c, DailyUsage.refunded())),
        1L);
    // an upsert replaces the aggregate
    DailyUsage more = DailyUsage.settled(10, 2, 5, 700).plus(DailyUsage.settled(1, 0, 1, 1));
    table.storeAll(Map.of(a.id(), new DailyUsageRow(a, more)), 2L);
    assertEquals(
        Map.of(a.id(), new DailyUsageRow(a, more), b.id(), new DailyUsageRow(b, refused)),
        table.loadAll(List.of(a.id(), b.id(), "2026-01-01|x|y|z|m")));
    assertEquals(
        List.of(new DailyUsageRow(b, refused), new DailyUsageRow(a, more)),
        table.read("pro", DAY.minusDays(7), DAY));
    assertEquals(List.of(new DailyUsageRow(a, more)), table.read("pro", DAY, DAY.plusDays(1)));
    assertEquals(1, table.deleteBefore(DAY.minusDays(1)));
    table.deleteAll(List.of(c.id()));
    assertEquals(List.of(), table.read("free", DAY, DAY));
    assertEquals(List.of(new DailyUsageRow(a, more)), table.read("pro", DAY.minusDays(7), DAY));
  }
}
