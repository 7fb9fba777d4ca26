package dev.tollgate.persistence;

import dev.tollgate.quota.UsageRecord;
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
 * The table {@code tollgate_usage_record}: one row per quota key, its record's {@link
 * UsageRecordBytes stored form}. Writes are batched upserts in one transaction; a row that cannot
 * be decoded is reported and read as absent rather than failing every Check on its key.
 */
public final class UsageRecordTable implements KeyedTable<UsageRecord> {
  private static final Logger LOG = LoggerFactory.getLogger(UsageRecordTable.class);

  /** The longest a read of records may run. */
  static final int LOAD_TIMEOUT_SECONDS = 2;

  /** How long past its longest window a row is kept. */
  static final long EXPIRY_MARGIN_MILLIS = 24 * 3_600_000L;

  /** What the expiry is rounded up to. */
  static final long EXPIRY_STEP_MILLIS = 3_600_000L;

  /** The most keys one {@code IN (...)} query names. */
  static final int CHUNK = 500;

  private final Database db;
  private final String upsert;

  public UsageRecordTable(Database db) {
    this.db = db;
    this.upsert =
        switch (db.dialect()) {
          case H2 ->
              "MERGE INTO tollgate_usage_record (quota_key, state, updated_at, expires_at)"
                  + " KEY (quota_key) VALUES (?, ?, ?, ?)";
          case POSTGRESQL ->
              "INSERT INTO tollgate_usage_record (quota_key, state, updated_at, expires_at)"
                  + " VALUES (?, ?, ?, ?) ON CONFLICT (quota_key) DO UPDATE SET"
                  + " state = EXCLUDED.state, updated_at = EXCLUDED.updated_at,"
                  + " expires_at = EXCLUDED.expires_at";
        };
  }

  /** The record of {@code key}, or null when none is stored. */
  public UsageRecord load(String key) throws SQLException {
    return loadAll(List.of(key)).get(key);
  }

  /** The stored records of {@code keys}; keys without one are absent from the answer. */
  @Override
  public Map<String, UsageRecord> loadAll(Collection<String> keys) throws SQLException {
    Map<String, UsageRecord> out = new HashMap<>();
    List<String> all = new ArrayList<>(keys);
    try (Connection c = db.connection()) {
      for (int from = 0; from < all.size(); from += CHUNK) {
        List<String> chunk = all.subList(from, Math.min(all.size(), from + CHUNK));
        String sql =
            "SELECT quota_key, state FROM tollgate_usage_record WHERE quota_key IN ("
                + "?,".repeat(chunk.size() - 1)
                + "?)";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
          // a load holds up the other keys of its partition (not its thread): keep it short
          ps.setQueryTimeout(LOAD_TIMEOUT_SECONDS);
          for (int i = 0; i < chunk.size(); i++) {
            ps.setString(i + 1, chunk.get(i));
          }
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              String key = rs.getString(1);
              try {
                out.put(key, UsageRecordBytes.decode(rs.getBytes(2)));
              } catch (IllegalArgumentException e) {
                LOG.error(
                    "persistence.unreadable_record: key {}: {}; counted from zero",
                    key,
                    e.getMessage());
              }
            }
          }
        }
      }
    }
    return out;
  }

  /** Writes every record, in one transaction. */
  @Override
  public void storeAll(Map<String, UsageRecord> records, long nowMillis) throws SQLException {
    db.batch(
        upsert,
        records.entrySet(),
        (ps, e) -> {
          ps.setString(1, e.getKey());
          ps.setBytes(2, UsageRecordBytes.encode(e.getValue()));
          ps.setLong(3, nowMillis);
          ps.setLong(4, expiresAt(e.getValue(), nowMillis));
        });
  }

  /**
   * When a record written at {@code nowMillis} has nothing left in any window: a day after its
   * longest window has passed, rounded up to the next {@link #EXPIRY_STEP_MILLIS}. The rounding
   * keeps the column, and so its index, unchanged by most writes of a busy key: the database then
   * rewrites the row alone, not also the index entry.
   */
  static long expiresAt(UsageRecord r, long nowMillis) {
    long exact = nowMillis + r.longestWindow().toMillis() + EXPIRY_MARGIN_MILLIS;
    return Math.floorDiv(exact, EXPIRY_STEP_MILLIS) * EXPIRY_STEP_MILLIS + EXPIRY_STEP_MILLIS;
  }

  /**
   * Deletes the rows whose every window elapsed before {@code nowMillis}.
   *
   * @return how many were deleted
   */
  public int deleteExpired(long nowMillis) throws SQLException {
    try (Connection c = db.connection();
        PreparedStatement ps =
            c.prepareStatement("DELETE FROM tollgate_usage_record WHERE expires_at < ?")) {
      ps.setQueryTimeout(Database.STATEMENT_TIMEOUT_SECONDS * 6);
      ps.setLong(1, nowMillis);
      return ps.executeUpdate();
    }
  }

  /** Deletes the records of {@code keys}. */
  @Override
  public void deleteAll(Collection<String> keys) throws SQLException {
    db.batch(
        "DELETE FROM tollgate_usage_record WHERE quota_key = ?",
        keys,
        (ps, k) -> ps.setString(1, k));
  }

  /** How many records are stored. */
  public long count() throws SQLException {
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM tollgate_usage_record");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
