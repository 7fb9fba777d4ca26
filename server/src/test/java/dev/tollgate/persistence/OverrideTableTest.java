package dev.tollgate.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tollgate.config.PersistenceConfig;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.LimitOverride;
import dev.tollgate.quota.Money;
import dev.tollgate.quota.Scope;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.Window;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The table {@code tollgate_limit_override} (migration V3) on the H2 file database. */
class OverrideTableTest {
  private static final List<Limit> LIMITS =
      List.of(
          new Limit(Window.parse("5m"), Unit.TOKENS, 20_000),
          new Limit(Window.month(), Unit.NANO_USD, Money.toNanoUsd(new BigDecimal("7.25"))));

  @Test
  void limitsAreStoredAsOneLinePerLimit() {
    assertEquals("5m tokens 20000\nmonth nano_usd 7250000000", OverrideTable.encode(LIMITS));
    assertEquals(LIMITS, OverrideTable.decode(OverrideTable.encode(LIMITS)));
    assertThrows(IllegalArgumentException.class, () -> OverrideTable.decode("5m tokens"));
    assertThrows(IllegalArgumentException.class, () -> OverrideTable.decode("5m bytes 1"));
    assertThrows(IllegalArgumentException.class, () -> OverrideTable.decode("5x tokens 1"));
  }

  @Test
  void storeReplaceDeleteAndLoad() throws Exception {
    PersistenceConfig cfg = PersistenceConfig.file(Files.createTempDirectory("tollgate-ovr"));
    try (Database db = Database.open(cfg)) {
      OverrideTable t = new OverrideTable(db);
      LimitOverride alice = new LimitOverride(Scope.USER, "alice", LIMITS, 1000);
      LimitOverride web = new LimitOverride(Scope.KEY, "web", LIMITS.subList(0, 1), 2000);
      t.storeAll(List.of(alice, web));
      LimitOverride alice2 = new LimitOverride(Scope.USER, "alice", LIMITS.subList(1, 2), 3000);
      t.storeAll(List.of(alice2));
      assertEquals(Map.of("user:alice", alice2, "key:web", web), t.loadAll());
      assertEquals(Map.of("key:web", web), t.loadAll(Set.of("key:web", "user:nobody")));
      // a row that cannot be read is skipped, not fatal
      try (Connection c = db.connection();
          Statement s = c.createStatement()) {
        s.executeUpdate(
            "INSERT INTO tollgate_limit_override VALUES ('user:bad', 'user', 'bad', 'junk', 1)");
      }
      assertEquals(Set.of("user:alice", "key:web"), t.loadAll().keySet());
      t.deleteAll(List.of("user:alice", "user:bad"));
      assertEquals(Map.of("key:web", web), t.loadAll());
    }
  }
}
