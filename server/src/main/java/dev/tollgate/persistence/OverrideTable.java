package dev.tollgate.persistence;

import dev.tollgate.quota.Limit;
import dev.tollgate.quota.LimitOverride;
import dev.tollgate.quota.Scope;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.Window;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The table {@code tollgate_limit_override}: one row per {@link LimitOverride}, keyed by its {@link
 * LimitOverride#key() key}. Overrides are few: reads load them all.
 */
public final class OverrideTable {
  private static final Logger LOG = LoggerFactory.getLogger(OverrideTable.class);
  private static final String COLUMNS = "override_key, scope, override_id, limits, updated_at";

  private final Database db;
  private final String upsert;

  public OverrideTable(Database db) {
    this.db = db;
    this.upsert =
        switch (db.dialect()) {
          case H2 ->
              "MERGE INTO tollgate_limit_override ("
                  + COLUMNS
                  + ") KEY (override_key) VALUES (?, ?, ?, ?, ?)";
          case POSTGRESQL ->
              "INSERT INTO tollgate_limit_override ("
                  + COLUMNS
                  + ") VALUES (?, ?, ?, ?, ?) ON CONFLICT (override_key) DO UPDATE SET"
                  + " scope = EXCLUDED.scope, override_id = EXCLUDED.override_id,"
                  + " limits = EXCLUDED.limits, updated_at = EXCLUDED.updated_at";
        };
  }

  /** Writes (inserts or replaces) overrides, in one transaction. */
  public void storeAll(Collection<LimitOverride> overrides) throws SQLException {
    db.batch(
        upsert,
        overrides,
        (ps, o) -> {
          ps.setString(1, o.key());
          ps.setString(2, o.scope().configName());
          ps.setString(3, o.id());
          ps.setString(4, encode(o.limits()));
          ps.setLong(5, o.updatedAtMillis());
        });
  }

  /** Deletes the overrides of {@code keys}. */
  public void deleteAll(Collection<String> keys) throws SQLException {
    db.batch(
        "DELETE FROM tollgate_limit_override WHERE override_key = ?",
        keys,
        (ps, k) -> ps.setString(1, k));
  }

  /** Every stored override, by key. A row that cannot be read is reported and skipped. */
  public Map<String, LimitOverride> loadAll() throws SQLException {
    Map<String, LimitOverride> out = new HashMap<>();
    try (Connection c = db.connection();
        PreparedStatement ps =
            c.prepareStatement("SELECT " + COLUMNS + " FROM tollgate_limit_override")) {
      ps.setQueryTimeout(Database.STATEMENT_TIMEOUT_SECONDS);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String key = rs.getString(1);
          try {
            Scope scope = Scope.fromConfigName(rs.getString(2));
            if (scope == null) {
              throw new IllegalArgumentException("scope '" + rs.getString(2) + "'");
            }
            out.put(
                key,
                new LimitOverride(scope, rs.getString(3), decode(rs.getString(4)), rs.getLong(5)));
          } catch (IllegalArgumentException e) {
            LOG.error(
                "persistence.unreadable_override: key {}: {}; the tier's limits apply",
                key,
                e.getMessage());
          }
        }
      }
    }
    return out;
  }

  /** The stored overrides of {@code keys}. */
  public Map<String, LimitOverride> loadAll(Collection<String> keys) throws SQLException {
    Map<String, LimitOverride> all = loadAll();
    all.keySet().retainAll(new java.util.HashSet<>(keys));
    return all;
  }

  /** One limit per line: {@code <window> <tokens|nano_usd|requests> <max>}. */
  static String encode(List<Limit> limits) {
    StringBuilder b = new StringBuilder();
    for (Limit l : limits) {
      if (b.length() > 0) {
        b.append('\n');
      }
      b.append(l.window().name())
          .append(' ')
          .append(l.unit() == Unit.NANO_USD ? "nano_usd" : l.unit().configName())
          .append(' ')
          .append(l.max());
    }
    return b.toString();
  }

  static List<Limit> decode(String text) {
    List<Limit> limits = new ArrayList<>();
    for (String line : text.split("\n")) {
      String[] p = line.trim().split(" ");
      if (p.length != 3) {
        throw new IllegalArgumentException("limit '" + line + "'");
      }
      Unit unit =
          switch (p[1]) {
            case "tokens" -> Unit.TOKENS;
            case "nano_usd" -> Unit.NANO_USD;
            case "requests" -> Unit.REQUESTS;
            default -> throw new IllegalArgumentException("unit '" + p[1] + "'");
          };
      limits.add(new Limit(Window.parse(p[0]), unit, Long.parseLong(p[2])));
    }
    return limits;
  }
}
