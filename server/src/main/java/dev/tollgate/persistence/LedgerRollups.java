package dev.tollgate.persistence;

import dev.tollgate.analytics.Period;
import dev.tollgate.ledger.DailyUsage;
import dev.tollgate.ledger.LedgerKey;
import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The sums of the usage ledger kept beside it (schema {@code V4__usage_rollups.sql}): per user and
 * day, ISO week and month ({@code tollgate_usage_user_period}), per day ({@code
 * tollgate_usage_day}, with the day's active users), per day and model ({@code
 * tollgate_usage_day_model}) and the refusals per day, user and limit ({@code
 * tollgate_usage_day_refusal}). {@link #apply} adds the difference between the ledger rows' old and
 * new values in the transaction that writes them: additive upserts ({@code x = x + change}), so
 * that members writing rows of the same user at once add up, each statement's rows in key order
 * (the locks are taken in one order). A day's active users change when a user's day row goes from
 * no requests to some or back, read from the row the upsert returns (the row is locked until the
 * commit, so no other writer comes between).
 */
final class LedgerRollups {
  /** The most rows one upsert statement holds. */
  private static final int ROWS_PER_STATEMENT = 1000;

  private static final Table USER_PERIOD =
      new Table(
          "tollgate_usage_user_period",
          new String[] {"tier", "period_kind", "period_start", "user_id"},
          new String[] {"VARCHAR(256)", "CHAR(1)", "DATE", "VARCHAR(512)"},
          new String[] {"requests", "tokens", "nano_usd", "refusals", "ledger_rows"});
  private static final Table DAY =
      new Table(
          "tollgate_usage_day",
          new String[] {"tier", "usage_day"},
          new String[] {"VARCHAR(256)", "DATE"},
          new String[] {"active_users", "requests", "tokens", "nano_usd", "refusals"});
  private static final Table DAY_MODEL =
      new Table(
          "tollgate_usage_day_model",
          new String[] {"tier", "usage_day", "model"},
          new String[] {"VARCHAR(256)", "DATE", "VARCHAR(256)"},
          new String[] {
            "requests",
            "input_tokens",
            "cached_input_tokens",
            "output_tokens",
            "nano_usd",
            "ledger_rows"
          });
  private static final Table DAY_REFUSAL =
      new Table(
          "tollgate_usage_day_refusal",
          new String[] {"tier", "usage_day", "user_id", "limit_key"},
          new String[] {"VARCHAR(256)", "DATE", "VARCHAR(512)", "VARCHAR(512)"},
          new String[] {"refusals"});

  private final Database.Dialect dialect;

  LedgerRollups(Database.Dialect dialect) {
    this.dialect = dialect;
  }

  /** One ledger row's change: its stored value before ({@code null}: none) and after. */
  record Change(LedgerKey key, DailyUsage before, DailyUsage after) {}

  /** Adds the changes to the sums, on {@code c} (in the caller's transaction). */
  void apply(Connection c, List<Change> changes) throws SQLException {
    Map<List<Object>, long[]> userPeriod = new HashMap<>();
    Map<List<Object>, long[]> day = new HashMap<>();
    Map<List<Object>, long[]> dayModel = new HashMap<>();
    Map<List<Object>, long[]> dayRefusal = new HashMap<>();
    for (Change ch : changes) {
      LedgerKey k = ch.key();
      DailyUsage b = ch.before();
      DailyUsage a = ch.after();
      long rows = (a == null ? 0 : 1) - (b == null ? 0 : 1);
      long requests = requests(a) - requests(b);
      long tokens = tokens(a) - tokens(b);
      long nano = nano(a) - nano(b);
      long refusals = refusalCount(a) - refusalCount(b);
      for (char kind : new char[] {'D', 'W', 'M'}) {
        LocalDate start =
            switch (kind) {
              case 'D' -> k.day();
              case 'W' -> Period.WEEK.start(k.day());
              default -> Period.MONTH.start(k.day());
            };
        add(
            userPeriod,
            List.of(k.tier(), String.valueOf(kind), start, k.user()),
            requests,
            tokens,
            nano,
            refusals,
            rows);
      }
      Map<String, Long> byLimit = new TreeMap<>();
      long dayRefusals = 0;
      if (a != null) {
        for (Map.Entry<String, Long> e : a.refusals().entrySet()) {
          long n = Math.max(0, e.getValue());
          byLimit.merge(e.getKey(), n, Long::sum);
          dayRefusals += n;
        }
      }
      if (b != null) {
        for (Map.Entry<String, Long> e : b.refusals().entrySet()) {
          long n = Math.max(0, e.getValue());
          byLimit.merge(e.getKey(), -n, Long::sum);
          dayRefusals -= n;
        }
      }
      for (Map.Entry<String, Long> e : byLimit.entrySet()) {
        if (e.getValue() != 0) {
          add(dayRefusal, List.of(k.tier(), k.day(), k.user(), e.getKey()), e.getValue());
        }
      }
      add(day, List.of(k.tier(), k.day()), 0, requests, tokens, nano, dayRefusals);
      add(
          dayModel,
          List.of(k.tier(), k.day(), k.model()),
          requests,
          input(a) - input(b),
          cached(a) - cached(b),
          output(a) - output(b),
          nano,
          rows);
    }
    // the day rows' requests after the upsert tell which users became active (or no longer are)
    for (Object[] r : upsert(c, USER_PERIOD, userPeriod, true)) {
      if (!"D".equals(r[1])) {
        continue;
      }
      long after = (Long) r[4];
      long before = after - userPeriod.get(Arrays.asList(r).subList(0, 4))[0];
      int active = (after > 0 ? 1 : 0) - (before > 0 ? 1 : 0);
      if (active != 0) {
        day.get(List.of(r[0], r[2]))[0] += active;
      }
    }
    upsert(c, DAY, day, false);
    upsert(c, DAY_MODEL, dayModel, false);
    upsert(c, DAY_REFUSAL, dayRefusal, false);
  }

  /**
   * Deletes the sums of days before {@code oldest}, and of weeks and months that ended before it,
   * on {@code c}.
   *
   * @return how many rows were deleted
   */
  int deleteBefore(Connection c, LocalDate oldest) throws SQLException {
    int n = 0;
    for (String t :
        List.of("tollgate_usage_day", "tollgate_usage_day_model", "tollgate_usage_day_refusal")) {
      n += delete(c, "DELETE FROM " + t + " WHERE usage_day < ?", oldest);
    }
    String periods =
        "DELETE FROM tollgate_usage_user_period WHERE period_kind = ? AND period_start < ?";
    n += delete(c, periods, "D", oldest);
    n += delete(c, periods, "W", Period.WEEK.start(oldest));
    n += delete(c, periods, "M", Period.MONTH.start(oldest));
    return n;
  }

  private static int delete(Connection c, String sql, Object... params) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setQueryTimeout(Database.STATEMENT_TIMEOUT_SECONDS);
      for (int i = 0; i < params.length; i++) {
        bind(ps, i + 1, params[i]);
      }
      return ps.executeUpdate();
    }
  }

  private static void add(Map<List<Object>, long[]> sums, List<Object> key, long... values) {
    long[] s = sums.get(key);
    if (s == null) {
      sums.put(key, values.clone());
      return;
    }
    for (int i = 0; i < values.length; i++) {
      s[i] += values[i];
    }
  }

  /**
   * Adds {@code sums} (key columns → value columns) to {@code t}, in key order.
   *
   * @return with {@code returning}, every row after the upsert (key then value columns)
   */
  private List<Object[]> upsert(
      Connection c, Table t, Map<List<Object>, long[]> sums, boolean returning)
      throws SQLException {
    List<Map.Entry<List<Object>, long[]>> rows = new ArrayList<>(sums.entrySet());
    rows.sort(Map.Entry.comparingByKey(KEY_ORDER));
    if (dialect == Database.Dialect.H2) {
      return addOneByOne(c, t, rows, returning);
    }
    List<Object[]> out = new ArrayList<>();
    for (int from = 0; from < rows.size(); from += ROWS_PER_STATEMENT) {
      List<Map.Entry<List<Object>, long[]>> chunk =
          rows.subList(from, Math.min(rows.size(), from + ROWS_PER_STATEMENT));
      try (PreparedStatement ps = c.prepareStatement(t.upsert(dialect, chunk.size(), returning))) {
        ps.setQueryTimeout(Database.STATEMENT_TIMEOUT_SECONDS);
        int p = 1;
        for (Map.Entry<List<Object>, long[]> r : chunk) {
          for (Object k : r.getKey()) {
            bind(ps, p++, k);
          }
          for (long v : r.getValue()) {
            ps.setLong(p++, v);
          }
        }
        if (!returning) {
          ps.executeUpdate();
          continue;
        }
        boolean results = ps.execute();
        while (!results && ps.getUpdateCount() != -1) {
          results = ps.getMoreResults();
        }
        try (ResultSet rs = ps.getResultSet()) {
          while (rs.next()) {
            Object[] row = new Object[t.keys.length + t.values.length];
            for (int i = 0; i < t.keys.length; i++) {
              row[i] =
                  t.types[i].equals("DATE") ? rs.getDate(i + 1).toLocalDate() : rs.getString(i + 1);
            }
            for (int i = 0; i < t.values.length; i++) {
              row[t.keys.length + i] = rs.getLong(t.keys.length + i + 1);
            }
            out.add(row);
          }
        }
      }
    }
    return out;
  }

  /**
   * What {@link #upsert} does, on H2, whose writes of the ledger take turns (see {@link
   * LedgerTable}), so that what is read stays true until the commit: each row is read, then the
   * rows there are updated ({@code x = x + ?}) and the others inserted, both batched (H2 prepares a
   * MERGE of many rows slowly: statements of one row, prepared once, are faster).
   */
  private static List<Object[]> addOneByOne(
      Connection c, Table t, List<Map.Entry<List<Object>, long[]>> rows, boolean returning)
      throws SQLException {
    String where = " WHERE " + String.join(" = ? AND ", t.keys) + " = ?";
    List<Object[]> out = new ArrayList<>();
    boolean[] there = new boolean[rows.size()];
    try (PreparedStatement ps =
        c.prepareStatement("SELECT " + String.join(", ", t.values) + " FROM " + t.name + where)) {
      for (int r = 0; r < rows.size(); r++) {
        List<Object> key = rows.get(r).getKey();
        long[] add = rows.get(r).getValue();
        for (int i = 0; i < key.size(); i++) {
          bind(ps, i + 1, key.get(i));
        }
        try (ResultSet rs = ps.executeQuery()) {
          there[r] = rs.next();
          if (returning) {
            Object[] row = new Object[t.keys.length + t.values.length];
            for (int i = 0; i < t.keys.length; i++) {
              row[i] = key.get(i);
            }
            for (int i = 0; i < t.values.length; i++) {
              row[t.keys.length + i] = (there[r] ? rs.getLong(i + 1) : 0) + add[i];
            }
            out.add(row);
          }
        }
      }
    }
    StringBuilder set = new StringBuilder();
    for (String v : t.values) {
      set.append(set.length() == 0 ? "" : ", ").append(v).append(" = ").append(v).append(" + ?");
    }
    int n = t.keys.length + t.values.length;
    try (PreparedStatement update = c.prepareStatement("UPDATE " + t.name + " SET " + set + where);
        PreparedStatement insert =
            c.prepareStatement(
                "INSERT INTO "
                    + t.name
                    + " ("
                    + String.join(", ", t.keys)
                    + ", "
                    + String.join(", ", t.values)
                    + ") VALUES ("
                    + "?, ".repeat(n - 1)
                    + "?)")) {
      update.setQueryTimeout(Database.STATEMENT_TIMEOUT_SECONDS);
      insert.setQueryTimeout(Database.STATEMENT_TIMEOUT_SECONDS);
      boolean updates = false;
      boolean inserts = false;
      for (int r = 0; r < rows.size(); r++) {
        List<Object> key = rows.get(r).getKey();
        long[] add = rows.get(r).getValue();
        if (there[r]) {
          int p = 1;
          for (long v : add) {
            update.setLong(p++, v);
          }
          for (Object k : key) {
            bind(update, p++, k);
          }
          update.addBatch();
          updates = true;
        } else {
          int p = 1;
          for (Object k : key) {
            bind(insert, p++, k);
          }
          for (long v : add) {
            insert.setLong(p++, v);
          }
          insert.addBatch();
          inserts = true;
        }
      }
      if (updates) {
        update.executeBatch();
      }
      if (inserts) {
        insert.executeBatch();
      }
    }
    return out;
  }

  /** Any one order, the same in every writer. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static final Comparator<List<Object>> KEY_ORDER =
      (x, y) -> {
        for (int i = 0; i < x.size(); i++) {
          int d = ((Comparable) x.get(i)).compareTo(y.get(i));
          if (d != 0) {
            return d;
          }
        }
        return 0;
      };

  private static void bind(PreparedStatement ps, int i, Object v) throws SQLException {
    if (v instanceof LocalDate d) {
      ps.setDate(i, Date.valueOf(d));
    } else {
      ps.setString(i, (String) v);
    }
  }

  /** A sums table: its key columns (and their types) and its value columns. */
  private record Table(String name, String[] keys, String[] types, String[] values) {
    /**
     * PostgreSQL's statement adding {@code rows} rows of values to the stored ones (inserting those
     * not there), returning the rows after it if asked.
     */
    String upsert(Database.Dialect dialect, int rows, boolean returning) {
      String all = String.join(", ", keys) + ", " + String.join(", ", values);
      int n = keys.length + values.length;
      StringBuilder sb = new StringBuilder();
      switch (dialect) {
        case POSTGRESQL -> {
          sb.append("INSERT INTO ").append(name).append(" (").append(all).append(") VALUES ");
          String row = "(" + "?, ".repeat(n - 1) + "?)";
          for (int r = 0; r < rows; r++) {
            sb.append(r == 0 ? "" : ", ").append(row);
          }
          sb.append(" ON CONFLICT (").append(String.join(", ", keys)).append(") DO UPDATE SET ");
          for (int i = 0; i < values.length; i++) {
            sb.append(i == 0 ? "" : ", ")
                .append(values[i])
                .append(" = ")
                .append(name)
                .append('.')
                .append(values[i])
                .append(" + EXCLUDED.")
                .append(values[i]);
          }
          if (returning) {
            sb.append(" RETURNING ").append(all);
          }
        }
        case H2 -> throw new IllegalStateException("H2 adds one row at a time");
      }
      return sb.toString();
    }
  }

  private static long requests(DailyUsage u) {
    return u == null ? 0 : u.requests();
  }

  private static long tokens(DailyUsage u) {
    return u == null ? 0 : u.inputTokens() + u.outputTokens();
  }

  private static long nano(DailyUsage u) {
    return u == null ? 0 : u.nanoUsd();
  }

  private static long input(DailyUsage u) {
    return u == null ? 0 : u.inputTokens();
  }

  private static long cached(DailyUsage u) {
    return u == null ? 0 : u.cachedInputTokens();
  }

  private static long output(DailyUsage u) {
    return u == null ? 0 : u.outputTokens();
  }

  private static long refusalCount(DailyUsage u) {
    return u == null ? 0 : u.refusalCount();
  }
}
