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
import java.util.TreeSet;

/**
 * The table {@code tollgate_usage_ledger}: one row per daily aggregate of the usage ledger, keyed
 * by {@link LedgerKey#id()}, with the key's parts and every counter in columns of their own (the
 * refusals as {@code scope:window=count} pairs separated by {@code ;}). Writes are batched upserts
 * in one transaction that mark each row dirty; {@link #catchUp} adds the dirty rows' changes since
 * they were last summed (kept beside them, in the {@code summed_*} columns) to the sums the
 * analytics read ({@link LedgerRollups}), off the write path: a row written many times between two
 * catch-ups is summed once.
 */
public final class LedgerTable implements KeyedTable<DailyUsageRow> {
  /** The most keys one {@code IN (...)} query names. */
  static final int CHUNK = 500;

  /** The most dirty rows one catch-up transaction sums. */
  static final int CATCH_UP_BATCH = 5000;

  static final String COLUMNS =
      "ledger_key, usage_day, tier, user_id, service_key, model, requests, refunded_requests,"
          + " input_tokens, cached_input_tokens, output_tokens, nano_usd, refusals";

  /** A row's columns ({@link #COLUMNS}), then what was last summed of it ({@link #summed}). */
  private static final String SELECT_WITH_SUMMED =
      "SELECT "
          + COLUMNS
          + ", summed, summed_requests, summed_input_tokens, summed_cached_input_tokens,"
          + " summed_output_tokens, summed_nano_usd, summed_refusals FROM tollgate_usage_ledger";

  private final Database db;
  private final String upsert;
  private final LedgerRollups rollups;

  public LedgerTable(Database db) {
    this.db = db;
    this.rollups = new LedgerRollups(db.dialect());
    String values = " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, TRUE)";
    this.upsert =
        switch (db.dialect()) {
          case H2 ->
              "MERGE INTO tollgate_usage_ledger ("
                  + COLUMNS
                  + ", updated_at, dirty) KEY (ledger_key)"
                  + values;
          case POSTGRESQL ->
              "INSERT INTO tollgate_usage_ledger ("
                  + COLUMNS
                  + ", updated_at, dirty)"
                  + values
                  + " ON CONFLICT (ledger_key) DO UPDATE SET requests = EXCLUDED.requests,"
                  + " refunded_requests = EXCLUDED.refunded_requests,"
                  + " input_tokens = EXCLUDED.input_tokens,"
                  + " cached_input_tokens = EXCLUDED.cached_input_tokens,"
                  + " output_tokens = EXCLUDED.output_tokens, nano_usd = EXCLUDED.nano_usd,"
                  + " refusals = EXCLUDED.refusals, updated_at = EXCLUDED.updated_at, dirty = TRUE";
        };
  }

  /** The stored aggregates of {@code ids} ({@link LedgerKey#id()}); absent ones are left out. */
  @Override
  public Map<String, DailyUsageRow> loadAll(Collection<String> ids) throws SQLException {
    try (Connection c = db.connection()) {
      return load(c, ids);
    }
  }

  /**
   * The stored aggregates of {@code ids}. On PostgreSQL the keys are one array joined to the table:
   * a list of hundreds of parameters ({@code IN (?, ...)}) is compared with every row when the
   * planner scans the table (as it does while its statistics say it is small), an array is hashed
   * once.
   */
  private Map<String, DailyUsageRow> load(Connection c, Collection<String> ids)
      throws SQLException {
    Map<String, DailyUsageRow> out = new HashMap<>();
    List<String> all = new ArrayList<>(ids);
    boolean postgres = db.dialect() == Database.Dialect.POSTGRESQL;
    int chunkSize = postgres ? Math.max(1, all.size()) : CHUNK;
    for (int from = 0; from < all.size(); from += chunkSize) {
      List<String> chunk = all.subList(from, Math.min(all.size(), from + chunkSize));
      String sql =
          "SELECT "
              + COLUMNS
              + " FROM tollgate_usage_ledger WHERE ledger_key IN ("
              + (postgres ? "SELECT unnest(?::varchar[])" : "?,".repeat(chunk.size() - 1) + "?")
              + ")";
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setQueryTimeout(Database.STATEMENT_TIMEOUT_SECONDS);
        if (postgres) {
          ps.setArray(1, c.createArrayOf("varchar", chunk.toArray()));
        } else {
          for (int i = 0; i < chunk.size(); i++) {
            ps.setString(i + 1, chunk.get(i));
          }
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.put(rs.getString(1), row(rs));
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

  /**
   * Writes every aggregate (replacing the stored ones) in one transaction, in key order (the order
   * in which every writer takes the rows' locks), each marked dirty for the next {@link #catchUp}.
   */
  @Override
  public void storeAll(Map<String, DailyUsageRow> rows, long nowMillis) throws SQLException {
    if (rows.isEmpty()) {
      return;
    }
    inTransaction(
        c -> {
          try (PreparedStatement ps = c.prepareStatement(upsert)) {
            ps.setQueryTimeout(Database.STATEMENT_TIMEOUT_SECONDS);
            for (Map.Entry<String, DailyUsageRow> e : new TreeMap<>(rows).entrySet()) {
              bind(ps, e.getKey(), e.getValue(), nowMillis);
              ps.addBatch();
            }
            ps.executeBatch();
          }
        });
  }

  /**
   * Adds the changes of every dirty row since it was last summed to the sums ({@link
   * LedgerRollups}) and clears the mark, {@value #CATCH_UP_BATCH} rows per transaction. The
   * replicas' catch-ups take turns (a lock row); on PostgreSQL a row being written at that moment
   * is left for the next catch-up rather than waited for.
   *
   * @return how many rows were summed
   */
  public int catchUp() throws SQLException {
    int total = 0;
    while (true) {
      int[] n = new int[1];
      inTransaction(
          c -> {
            takeSumsTurn(c);
            List<String> ids = new ArrayList<>();
            List<LedgerRollups.Change> changes = new ArrayList<>();
            try (PreparedStatement ps =
                c.prepareStatement(
                    // no ORDER BY: the dirty rows come from their index, a batch at a time
                    SELECT_WITH_SUMMED
                        + " WHERE dirty LIMIT "
                        + CATCH_UP_BATCH
                        + " FOR UPDATE"
                        + (db.dialect() == Database.Dialect.POSTGRESQL ? " SKIP LOCKED" : ""))) {
              ps.setQueryTimeout(Database.STATEMENT_TIMEOUT_SECONDS);
              try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                  DailyUsageRow now = row(rs);
                  ids.add(rs.getString(1));
                  changes.add(new LedgerRollups.Change(now.key(), summed(rs), now.usage()));
                }
              }
            }
            if (ids.isEmpty()) {
              return;
            }
            rollups.apply(c, changes);
            try (PreparedStatement ps =
                c.prepareStatement(
                    "UPDATE tollgate_usage_ledger SET dirty = FALSE, summed = TRUE,"
                        + " summed_requests = requests, summed_input_tokens = input_tokens,"
                        + " summed_cached_input_tokens = cached_input_tokens,"
                        + " summed_output_tokens = output_tokens, summed_nano_usd = nano_usd,"
                        + " summed_refusals = refusals WHERE ledger_key = ?")) {
              ps.setQueryTimeout(Database.STATEMENT_TIMEOUT_SECONDS);
              for (String id : ids) {
                ps.setString(1, id);
                ps.addBatch();
              }
              ps.executeBatch();
            }
            n[0] = ids.size();
          });
      total += n[0];
      if (n[0] < CATCH_UP_BATCH) {
        return total;
      }
    }
  }

  /** Waits for the other replicas' catch-ups (the lock row, held until the commit). */
  private static void takeSumsTurn(Connection c) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT id FROM tollgate_usage_sums_lock WHERE id = 1 FOR UPDATE")) {
      ps.setQueryTimeout(Database.STATEMENT_TIMEOUT_SECONDS);
      ps.executeQuery().close();
    }
  }

  /** What was last summed of the row at {@code rs} , or null if none. */
  private static DailyUsage summed(ResultSet rs) throws SQLException {
    int at = 14; // after COLUMNS
    if (!rs.getBoolean(at)) {
      return null;
    }
    return new DailyUsage(
        rs.getLong(at + 1),
        0,
        rs.getLong(at + 2),
        rs.getLong(at + 3),
        rs.getLong(at + 4),
        rs.getLong(at + 5),
        refusals(rs.getString(at + 6)));
  }

  private static void bind(PreparedStatement ps, String id, DailyUsageRow row, long nowMillis)
      throws SQLException {
    LedgerKey k = row.key();
    DailyUsage u = row.usage();
    ps.setString(1, id);
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
  }

  /**
   * Deletes the aggregates of {@code ids}, and takes what was summed of them out of the sums (a
   * catch-up's turn, so that none sums them meanwhile).
   */
  @Override
  public void deleteAll(Collection<String> ids) throws SQLException {
    if (ids.isEmpty()) {
      return;
    }
    inTransaction(
        c -> {
          takeSumsTurn(c);
          List<LedgerRollups.Change> changes = new ArrayList<>();
          List<String> sorted = new ArrayList<>(new TreeSet<>(ids));
          for (int from = 0; from < sorted.size(); from += CHUNK) {
            List<String> chunk = sorted.subList(from, Math.min(sorted.size(), from + CHUNK));
            try (PreparedStatement ps =
                c.prepareStatement(
                    SELECT_WITH_SUMMED
                        + " WHERE ledger_key IN ("
                        + "?,".repeat(chunk.size() - 1)
                        + "?) FOR UPDATE")) {
              ps.setQueryTimeout(Database.STATEMENT_TIMEOUT_SECONDS);
              for (int i = 0; i < chunk.size(); i++) {
                ps.setString(i + 1, chunk.get(i));
              }
              try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                  DailyUsage was = summed(rs);
                  if (was != null) {
                    changes.add(new LedgerRollups.Change(row(rs).key(), was, null));
                  }
                }
              }
            }
          }
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM tollgate_usage_ledger WHERE ledger_key = ?")) {
            ps.setQueryTimeout(Database.STATEMENT_TIMEOUT_SECONDS);
            for (String id : sorted) {
              ps.setString(1, id);
              ps.addBatch();
            }
            ps.executeBatch();
          }
          rollups.apply(c, changes);
        });
  }

  /**
   * Deletes the aggregates of days before {@code oldest} (the retention), with the sums of those
   * days and of the weeks and months that ended before it.
   *
   * @return how many aggregates were deleted
   */
  public int deleteBefore(LocalDate oldest) throws SQLException {
    int[] n = new int[1];
    inTransaction(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM tollgate_usage_ledger WHERE usage_day < ?")) {
            ps.setQueryTimeout(Database.STATEMENT_TIMEOUT_SECONDS);
            ps.setDate(1, Date.valueOf(oldest));
            n[0] = ps.executeUpdate();
          }
          rollups.deleteBefore(c, oldest);
        });
    return n[0];
  }

  /**
   * Runs {@code work} in one transaction (rolled back if it fails). On H2 (one process) the writes
   * of the ledger take turns, as two MERGEs inserting the same new sums row would collide;
   * PostgreSQL's upserts wait for each other.
   */
  private void inTransaction(Database.Work work) throws SQLException {
    if (db.dialect() == Database.Dialect.H2) {
      synchronized (db) {
        db.transaction(work);
      }
    } else {
      db.transaction(work);
    }
  }

  static DailyUsageRow row(ResultSet rs) throws SQLException {
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
