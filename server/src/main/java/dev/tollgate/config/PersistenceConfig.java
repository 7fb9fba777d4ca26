package dev.tollgate.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Where usage survives a restart: {@code store.persistence}. The usage records and the usage ledger
 * are written behind to a database; the database is never on the Check path.
 *
 * @param type the backend
 * @param path the file database's directory (absolute), for {@link Type#FILE}
 * @param jdbcUrl the JDBC URL, for {@link Type#JDBC}
 * @param username the database user, for {@link Type#JDBC}, or null
 * @param password the database password, for {@link Type#JDBC}, or null
 * @param writeDelay how long a change waits before it is written (whole seconds, at least 1): at
 *     most this much usage, plus a second, is lost on a crash
 * @param retentionDays how long the usage ledger's daily rows are kept
 * @param poolSize the connection pool's size
 */
public record PersistenceConfig(
    Type type,
    Path path,
    String jdbcUrl,
    String username,
    Secret password,
    Duration writeDelay,
    int retentionDays,
    int poolSize) {

  /** The default write delay. */
  public static final Duration DEFAULT_WRITE_DELAY = Duration.ofSeconds(2);

  /** The default ledger retention, in days. */
  public static final int DEFAULT_RETENTION_DAYS = 400;

  /** The default connection pool size. */
  public static final int DEFAULT_POOL_SIZE = 4;

  /** The directory name of the file database, next to the configuration file. */
  public static final String DEFAULT_PATH = "data";

  /** Nothing persisted: usage lives in Hazelcast's memory only. */
  public static final PersistenceConfig NONE =
      new PersistenceConfig(
          Type.NONE,
          null,
          null,
          null,
          null,
          DEFAULT_WRITE_DELAY,
          DEFAULT_RETENTION_DAYS,
          DEFAULT_POOL_SIZE);

  /** Backends. */
  public enum Type {
    /** An embedded file database under {@code path}: one process only. */
    FILE,
    /** A database server (PostgreSQL) at {@code jdbc_url}: for clusters. */
    JDBC,
    /** Nothing persisted. */
    NONE
  }

  public PersistenceConfig {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(writeDelay, "writeDelay");
  }

  /** A file database in {@code dir}, with the default settings. */
  public static PersistenceConfig file(Path dir) {
    return new PersistenceConfig(
        Type.FILE,
        dir.toAbsolutePath(),
        null,
        null,
        null,
        DEFAULT_WRITE_DELAY,
        DEFAULT_RETENTION_DAYS,
        DEFAULT_POOL_SIZE);
  }

  /** Whether anything is persisted. */
  public boolean enabled() {
    return type != Type.NONE;
  }

  @Override
  public String toString() {
    return "PersistenceConfig[type="
        + type
        + ", path="
        + path
        + ", jdbcUrl="
        + (jdbcUrl == null ? null : JdbcUrls.redact(jdbcUrl))
        + ", username="
        + username
        + ", password="
        + password
        + ", writeDelay="
        + writeDelay
        + ", retentionDays="
        + retentionDays
        + ", poolSize="
        + poolSize
        + "]";
  }
}
