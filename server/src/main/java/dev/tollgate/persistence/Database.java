package dev.tollgate.persistence;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.tollgate.config.JdbcUrls;
import dev.tollgate.config.PersistenceConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The database usage is written to: an embedded H2 file database ({@code type: file}, one process)
 * or PostgreSQL ({@code type: jdbc}), behind a small connection pool, its schema migrated on open.
 * Every call is bounded: a connection is waited for at most {@link #CONNECT_TIMEOUT_MILLIS}, a
 * statement runs at most {@link #STATEMENT_TIMEOUT_SECONDS}.
 */
public final class Database implements AutoCloseable {
  /** The longest a caller waits for a connection. */
  public static final long CONNECT_TIMEOUT_MILLIS = 3_000;

  /** The longest one statement may run. */
  public static final int STATEMENT_TIMEOUT_SECONDS = 10;

  private static final Logger LOG = LoggerFactory.getLogger(Database.class);

  /** The SQL dialects spoken. */
  public enum Dialect {
    H2,
    POSTGRESQL
  }

  private final HikariDataSource pool;
  private final Dialect dialect;
  private final String description;

  private Database(HikariDataSource pool, Dialect dialect, String description) {
    this.pool = pool;
    this.dialect = dialect;
    this.description = description;
  }

  /**
   * Opens the configured database and brings its schema up to date.
   *
   * @throws PersistenceException when it cannot be reached, is locked by another process, or its
   *     schema cannot be migrated
   */
  public static Database open(PersistenceConfig config) {
    HikariConfig h = new HikariConfig();
    h.setPoolName("tollgate-db");
    h.setMaximumPoolSize(config.poolSize());
    h.setMinimumIdle(1);
    h.setConnectionTimeout(CONNECT_TIMEOUT_MILLIS);
    h.setValidationTimeout(1_000);
    h.setInitializationFailTimeout(CONNECT_TIMEOUT_MILLIS);
    Dialect dialect;
    String description;
    switch (config.type()) {
      case FILE -> {
        Path dir = config.path();
        try {
          Files.createDirectories(dir);
        } catch (IOException e) {
          throw new PersistenceException(
              "store.persistence.path: cannot create " + dir + " (" + e.getMessage() + ")", e);
        }
        // one process owns the file (a second one gets "already in use"); no automatic close at
        // JVM exit: Tollgate closes it after the last write-behind flush
        h.setJdbcUrl(
            "jdbc:h2:file:"
                + dir.resolve("tollgate").toAbsolutePath()
                + ";DB_CLOSE_ON_EXIT=FALSE;DB_CLOSE_DELAY=0;MODE=PostgreSQL;CACHE_SIZE=32768");
        h.setUsername("tollgate");
        h.setPassword("");
        dialect = Dialect.H2;
        description = "file database " + dir;
      }
      case JDBC -> {
        h.setJdbcUrl(config.jdbcUrl());
        if (config.username() != null) {
          h.setUsername(config.username());
        }
        if (config.password() != null) {
          h.setPassword(config.password().reveal());
        }
        h.addDataSourceProperty("connectTimeout", "3");
        h.addDataSourceProperty("loginTimeout", "3");
        h.addDataSourceProperty("socketTimeout", Integer.toString(STATEMENT_TIMEOUT_SECONDS * 2));
        h.addDataSourceProperty("ApplicationName", "tollgate");
        dialect = Dialect.POSTGRESQL;
        description = "PostgreSQL " + JdbcUrls.redact(config.jdbcUrl());
      }
      default -> throw new IllegalArgumentException("nothing to open: type none");
    }
    HikariDataSource pool;
    try {
      pool = new HikariDataSource(h);
    } catch (RuntimeException e) {
      throw new PersistenceException(
          "persistence.unavailable: cannot open the "
              + description
              + ": "
              + rootMessage(e)
              + (dialect == Dialect.H2
                  ? " (is another Tollgate process using this directory? A file database belongs to"
                      + " one process)"
                  : ""),
          e);
    }
    Database db = new Database(pool, dialect, description);
    try {
      db.migrate();
    } catch (RuntimeException e) {
      pool.close();
      throw new PersistenceException(
          "persistence.migration_failed: " + description + ": " + rootMessage(e), e);
    }
    return db;
  }

  private void migrate() {
    long t0 = System.nanoTime();
    MigrateResult r =
        Flyway.configure()
            .dataSource(pool)
            .locations("classpath:db/migration")
            .javaMigrations(new RollupRefusalsMigration(dialect))
            // PostgreSQL indexes only the rows still to be summed (a partial index stays as small
            // as the backlog); H2 has no partial indexes
            .placeholders(
                java.util.Map.of(
                    "dirty_rows_only", dialect == Dialect.POSTGRESQL ? "WHERE dirty" : ""))
            .table("tollgate_schema_history")
            .loggers("slf4j")
            .load()
            .migrate();
    LOG.info(
        "persistence.ready: {}, schema version {} ({} migration(s) applied) in {} ms",
        description,
        r.targetSchemaVersion == null ? "unchanged" : r.targetSchemaVersion,
        r.migrationsExecuted,
        (System.nanoTime() - t0) / 1_000_000);
  }

  /** A pooled connection; close it to give it back. */
  public Connection connection() throws SQLException {
    return pool.getConnection();
  }

  /** Binds one item's parameters to a batched statement. */
  @FunctionalInterface
  public interface Binder<T> {
    void bind(PreparedStatement ps, T item) throws SQLException;
  }

  /** Work done on one connection, in one transaction. */
  @FunctionalInterface
  public interface Work {
    void run(Connection c) throws SQLException;
  }

  /** Runs {@code work} in one transaction: committed, or rolled back if it fails. */
  public void transaction(Work work) throws SQLException {
    try (Connection c = connection()) {
      boolean auto = c.getAutoCommit();
      c.setAutoCommit(false);
      try {
        work.run(c);
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(auto);
      }
    }
  }

  /**
   * Runs {@code sql} once per item as one batch in one transaction (rolled back if any fails),
   * bounded by {@link #STATEMENT_TIMEOUT_SECONDS}. Nothing is done for no items.
   */
  public <T> void batch(String sql, Iterable<T> items, Binder<T> binder) throws SQLException {
    if (!items.iterator().hasNext()) {
      return;
    }
    transaction(
        c -> {
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setQueryTimeout(STATEMENT_TIMEOUT_SECONDS);
            for (T item : items) {
              binder.bind(ps, item);
              ps.addBatch();
            }
            ps.executeBatch();
          }
        });
  }

  /** The pool, for callers that need a {@link DataSource}. */
  public DataSource dataSource() {
    return pool;
  }

  /** Which SQL dialect the database speaks. */
  public Dialect dialect() {
    return dialect;
  }

  /** What it is, safe to print (no password). */
  public String description() {
    return description;
  }

  @Override
  public void close() {
    pool.close();
  }

  @Override
  public String toString() {
    return "Database[" + description + "]";
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
