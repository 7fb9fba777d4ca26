package dev.tollgate.persistence;

import dev.tollgate.ledger.DailyUsage;
import dev.tollgate.ledger.DailyUsageRow;
import dev.tollgate.ledger.LedgerKey;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The table {@code tollgate_usage_ledger}: one row per daily aggregate of the usage ledger, keyed
 * by {@link LedgerKey#id()}, with the key's parts and every counter in columns of their own (the
 * refusals as {@code scope:window=count} pairs separated by {@code ;}). Writes are batched upserts
 * in one transaction.
 */
public final class LedgerTable implements KeyedTable<DailyUsageRow> {
  /** The most keys one {@code IN (...)} query names. */
  static final int CHUNK = 500;

  private static final String COLUMNS =
      "ledger_key, usage_day, tier, user_id, service_key, model, requests, refunded_requests,"
          + " input_tokens, cached_input_tokens, output_tokens, nano_usd, refusals";

  private final Database db;
  private final String upsert;

  public LedgerTable(Database db) {
    this.db = db;
    String values = " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    this.upsert =
        switch (db.dialect()) {
          case H2 ->
              "MERGE INTO tollgate_usage_ledger ("
                  + COLUMNS
                  + ", updated_at) KEY (ledger_key)"
                  + values;
          case POSTGRESQL ->
              "INSERT INTO tollgate_usage_ledger ("
                  + COLUMNS
                  + ", updated_at)"
                  + values
                  + " ON CONFLICT (ledger_key) DO UPDATE SET requests = EXCLUDED.requests,"
                  + " refunded_requests = EXCLUDED.refunded_requests,"
                  + " input_tokens = EXCLUDED.input_tokens,"
                  + " cached_input_tokens = EXCLUDED.cached_input_tokens,"
                  + " output_tokens = EXCLUDED.output_tokens, nano_usd = EXCLUDED.nano_usd,"
                  + " refusals = EXCLUDED.refusals, updated_at = EXCLUDED.updated_at";
        };
  }

  /** The stored aggregates of {@code ids} ({@link LedgerKey#id()}); absent ones are left out. */
  @Override
  public Map<String, DailyUsageRow> loadAll(Collection<String> ids) throws SQLException {
    Map<String, DailyUsageRow> out = new HashMap<>();
    List<String> all = new ArrayList<>(ids);
    try (Connection c = db.connection()) {
      for (int from = 0; from < all.size(); from += CHUNK) {
        List<String> chunk = all.subList(from, Math.min(all.size(), from + CHUNK));
        String sql =
            "SELECT "
                + COLUMNS
                + " FROM tollgate_usage_ledger WHERE ledger_key IN ("
                + "?,".repeat(chunk.size() - 1)
                + "?)";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
          ps.setQueryTimeout(Database.STATEMENT_TIMEOUT_SECONDS);
          for (int i = 0; i < chunk.size(); i++) {
            ps.setString(i + 1, chunk.get(i));
          }
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.put(rs.getString(1), row(rs));
            }
          }
        }
      }
    }
    return out;
  }

  /**
   * Every stored aggregate of {@code tier} from {@code from} to {@code to} (UTC days, both
   * included), by day: what the analytics read, beyond what is in memory.
   */
  public List<DailyUsageRow> read(String tier, LocalDate from, LocalDate to) throws SQLException {
    List<DailyUsageRow> out = new ArrayList<>();
    try (Connection c = db.connection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT "
                    + COLUMNS
                    + " FROM tollgate_usage_ledger WHERE tier = ? AND usage_day BETWEEN ? AND ?"
                    + " ORDER BY usage_day, user_id, service_key, model")) {
      ps.setQueryTimeout(Database.STATEMENT_TIMEOUT_SECONDS);
      ps.setString(1, tier);
      ps.setDate(2, Date.valueOf(from));
      ps.setDate(3, Date.valueOf(to));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(row(rs));
        }
      }
    }
    return out;
  }

  /**
   * What {@link #read} returns, one query per day: a month of a large tier (millions of rows) is
   * more than one statement may take ({@link Database#STATEMENT_TIMEOUT_SECONDS}), a day is not.
   */
  public List<DailyUsageRow> readByDay(String tier, LocalDate from, LocalDate to)
      throws SQLException {
    List<DailyUsageRow> out = new ArrayList<>();
    for (LocalDate d = from; !d.isAfter(to); d = d.plusDays(1)) {
      out.addAll(read(tier, d, d));
    }
    return out;
  }

  /** Writes every aggregate (replacing the stored ones), in one transaction. */
  @Override
  public void storeAll(Map<String, DailyUsageRow> rows, long nowMillis) throws SQLException {
    db.batch(
        upsert,
        rows.entrySet(),
        (ps, e) -> {
          LedgerKey k = e.getValue().key();
          DailyUsage u = e.getValue().usage();
          ps.setString(1, e.getKey());
          // the day itself (JDBC 4.2): no java.sql.Date, no calendar or time zone arithmetic
          ps.setObject(2, k.day());
          ps.setString(3, k.tier());
          ps.setString(4, k.user());
          ps.setString(5, k.serviceKey());
          ps.setString(6, k.model());
          ps.setLong(7, u.requests());
          ps.setLong(8, u.refundedRequests());
          ps.setLong(9, u.inputTokens());
          ps.setLong(10, u.cachedInputTokens());
          ps.setLong(11, u.outputTokens());
          ps.setLong(12, u.nanoUsd());
          ps.setString(13, refusalsText(u.refusals()));
          ps.setLong(14, nowMillis);
        });
  }

  /** Deletes the aggregates of {@code ids}. */
  @Override
  public void deleteAll(Collection<String> ids) throws SQLException {
    db.batch(
        "DELETE FROM tollgate_usage_ledger WHERE ledger_key = ?",
        ids,
        (ps, k) -> ps.setString(1, k));
  }

  /**
   * Deletes the aggregates of days before {@code oldest} (the retention).
   *
   * @return how many were deleted
   */
  public int deleteBefore(LocalDate oldest) throws SQLException {
    try (Connection c = db.connection();
        PreparedStatement ps =
            c.prepareStatement("DELETE FROM tollgate_usage_ledger WHERE usage_day < ?")) {
      ps.setQueryTimeout(Database.STATEMENT_TIMEOUT_SECONDS);
      ps.setDate(1, Date.valueOf(oldest));
      return ps.executeUpdate();
    }
  }

  private static DailyUsageRow row(ResultSet rs) throws SQLException {
    LedgerKey k =
        new LedgerKey(
            rs.getDate(2).toLocalDate(),
            rs.getString(3),
            rs.getString(4),
            rs.getString(5),
            rs.getString(6));
    return new DailyUsageRow(
        k,
        new DailyUsage(
            rs.getLong(7),
            rs.getLong(8),
            rs.getLong(9),
            rs.getLong(10),
            rs.getLong(11),
            rs.getLong(12),
            refusals(rs.getString(13))));
  }

  /** {@code scope:window=count;...}, names URL-encoded. */
  static String refusalsText(Map<String, Long> refusals) {
    if (refusals.isEmpty()) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, Long> e : new TreeMap<>(refusals).entrySet()) {
      if (sb.length() > 0) {
        sb.append(';');
      }
      sb.append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8).replace("%3A", ":"))
          .append('=')
          .append(e.getValue());
    }
    return sb.toString();
  }

  static Map<String, Long> refusals(String text) {
    Map<String, Long> out = new TreeMap<>();
    if (text == null || text.isEmpty()) {
      return out;
    }
    for (String pair : text.split(";")) {
      int eq = pair.lastIndexOf('=');
      out.put(
          URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
          Long.parseLong(pair.substring(eq + 1)));
    }
    return out;
  }
}
