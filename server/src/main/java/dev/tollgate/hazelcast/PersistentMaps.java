package dev.tollgate.hazelcast;

import com.hazelcast.config.Config;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MapStoreConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.tollgate.analytics.AdviceSums;
import dev.tollgate.analytics.LedgerSums;
import dev.tollgate.analytics.LedgerUnavailableException;
import dev.tollgate.analytics.Period;
import dev.tollgate.analytics.ReportSums;
import dev.tollgate.analytics.UserTotal;
import dev.tollgate.config.PersistenceConfig;
import dev.tollgate.ledger.DailyUsageRow;
import dev.tollgate.persistence.Database;
import dev.tollgate.persistence.LedgerQueries;
import dev.tollgate.persistence.LedgerTable;
import dev.tollgate.persistence.UsageRecordTable;
import dev.tollgate.quota.Scope;
import dev.tollgate.quota.Unit;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The maps whose entries are written behind to the {@link Database}: the usage records and the
 * usage ledger's daily aggregates; and the limit overrides, written through. Configures their map
 * stores on a member, reports the backlog, and flushes before the member stops.
 */
public final class PersistentMaps implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PersistentMaps.class);

  /** How many entries one write-behind batch holds. */
  static final int WRITE_BATCH = 500;

  private final PersistenceConfig config;
  private final Database db;

  /** How often rows past their time are deleted. */
  static final Duration MAINTENANCE_EVERY = Duration.ofHours(1);

  /**
   * How often the ledger rows written since are added to the analytics' sums (a report also does it
   * first): often enough that a report finds little to add, seldom enough that a user's row,
   * written every {@code write_delay} while they are active, is summed once per period, not per
   * write.
   */
  static final Duration SUMS_EVERY = Duration.ofSeconds(30);

  private final WriteBehindMapStore<dev.tollgate.quota.UsageRecord> usage;
  private final WriteBehindMapStore<DailyUsageRow> ledger;
  private final OverrideMapStore overrides;
  private final LedgerTable ledgerTable;
  private final UsageRecordTable usageTable;
  private final Clock clock;
  private final ScheduledExecutorService maintenance;

  private PersistentMaps(PersistenceConfig config, Database db, Clock clock) {
    this.config = config;
    this.db = db;
    this.clock = clock;
    this.usageTable = new UsageRecordTable(db);
    this.usage = new WriteBehindMapStore<>(usageTable, "usage record(s)", clock);
    this.ledgerTable = new LedgerTable(db);
    this.ledger = new WriteBehindMapStore<>(ledgerTable, "ledger row(s)", clock);
    this.overrides = new OverrideMapStore(new dev.tollgate.persistence.OverrideTable(db));
    this.maintenance =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "tollgate-db-maintenance");
              t.setDaemon(true);
              return t;
            });
    maintenance.scheduleWithFixedDelay(
        this::deleteExpired, 1, MAINTENANCE_EVERY.toMinutes(), TimeUnit.MINUTES);
    maintenance.scheduleWithFixedDelay(
        this::catchUpSums, SUMS_EVERY.toSeconds(), SUMS_EVERY.toSeconds(), TimeUnit.SECONDS);
  }

  /**
   * Adds the ledger rows written since the last catch-up to the analytics' sums ({@link
   * LedgerTable#catchUp}). Every replica runs it; they take turns.
   *
   * @return how many rows were summed, or -1 when the database did not answer
   */
  public int catchUpSums() {
    try {
      return ledgerTable.catchUp();
    } catch (java.sql.SQLException | RuntimeException e) {
      LOG.warn("persistence.sums_failed: {}", e.toString());
      return -1;
    }
  }

  /**
   * Deletes the rows nobody needs any more: usage records whose every window has elapsed, and
   * ledger rows of days past {@code retention_days}. Every replica may run it; it is idempotent.
   *
   * @return how many rows were deleted, or -1 when the database did not answer
   */
  public int deleteExpired() {
    try {
      int n = usageTable.deleteExpired(clock.millis());
      if (n > 0) {
        LOG.info("persistence.expired: {} usage record(s) past their windows deleted", n);
      }
      int days = Math.max(1, config.retentionDays());
      int l =
          ledgerTable.deleteBefore(
              dev.tollgate.ledger.LedgerKey.utcDay(clock.millis()).minusDays(days));
      if (l > 0) {
        LOG.info(
            "persistence.ledger_expired: {} ledger row(s) older than {} days deleted", l, days);
      }
      return n + l;
    } catch (java.sql.SQLException | RuntimeException e) {
      LOG.warn("persistence.maintenance_failed: {}", e.toString());
      return -1;
    }
  }

  /** Opens the configured database (migrating its schema). */
  public static PersistentMaps open(PersistenceConfig config, Clock clock) {
    return new PersistentMaps(config, Database.open(config), clock);
  }

  /** The database. */
  public Database database() {
    return db;
  }

  /** Puts the map stores on a member's configuration. */
  public void configure(Config c) {
    MapConfig m = c.getMapConfig(HazelcastSetup.USAGE_MAP);
    m.setMapStoreConfig(mapStore(usage));
    // the backlog (dirty entries) is reported from the map's local statistics
    m.setStatisticsEnabled(true);
    MapConfig l = c.getMapConfig(HazelcastSetup.LEDGER_MAP);
    l.setMapStoreConfig(mapStore(ledger));
    l.setStatisticsEnabled(true);
    // overrides: written through (an admin call returns once its change is in the database), and
    // all loaded when the map is first used, so every member's copy is complete
    c.getMapConfig(HazelcastSetup.OVERRIDES_MAP)
        .setMapStoreConfig(
            new MapStoreConfig()
                .setEnabled(true)
                .setImplementation(overrides)
                .setWriteDelaySeconds(0)
                .setInitialLoadMode(MapStoreConfig.InitialLoadMode.EAGER)
                .setOffload(true));
  }

  private MapStoreConfig mapStore(Object implementation) {
    return new MapStoreConfig()
        .setEnabled(true)
        .setImplementation(implementation)
        .setWriteDelaySeconds((int) config.writeDelay().toSeconds())
        .setWriteBatchSize(WRITE_BATCH)
        .setWriteCoalescing(true)
        .setInitialLoadMode(MapStoreConfig.InitialLoadMode.LAZY)
        // loads and writes run on Hazelcast's offload threads, never on a partition thread
        .setOffload(true);
  }

  /** Changes not yet written, held by this member (usage records and ledger rows). */
  public long backlog(HazelcastInstance hz) {
    return hz.getMap(HazelcastSetup.USAGE_MAP).getLocalMapStats().getDirtyEntryCount()
        + hz.getMap(HazelcastSetup.LEDGER_MAP).getLocalMapStats().getDirtyEntryCount();
  }

  /** Records written by this member since start. */
  public long written() {
    return usage.written();
  }

  /** Ledger rows written by this member since start. */
  public long ledgerWritten() {
    return ledger.written();
  }

  /** Failed database calls of this member since start. */
  public long failures() {
    return usage.failures() + ledger.failures();
  }

  /**
   * Writes every pending change now, waiting at most {@code timeout} (the database may be down: a
   * stop must not hang on it).
   *
   * @return whether everything was written in time
   */
  public boolean flush(HazelcastInstance hz, Duration timeout) {
    long t0 = System.nanoTime();
    IMap<?, ?> map = hz.getMap(HazelcastSetup.USAGE_MAP);
    IMap<?, ?> ledgerMap = hz.getMap(HazelcastSetup.LEDGER_MAP);
    CompletableFuture<Void> f =
        CompletableFuture.runAsync(
            () -> {
              map.flush();
              ledgerMap.flush();
            });
    try {
      f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      LOG.info(
          "persistence.flushed: usage written to the {} in {} ms",
          db.description(),
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
      return true;
    } catch (TimeoutException e) {
      LOG.error(
          "persistence.flush_timeout: {} change(s) not written to the {} within {} ms",
          backlog(hz),
          db.description(),
          timeout.toMillis());
    } catch (ExecutionException e) {
      LOG.error("persistence.flush_failed: {}", e.getCause().toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return false;
  }

  /**
   * The ledger's rows of {@code tier} from {@code from} to {@code to} as stored in the database
   * (the complete history), after writing the ledger map's pending changes (waiting at most {@code
   * flushTimeout}; on timeout the rows stored so far are read).
   *
   * @throws LedgerUnavailableException if the database did not answer
   */
  public List<DailyUsageRow> readLedger(
      HazelcastInstance hz, String tier, LocalDate from, LocalDate to, Duration flushTimeout) {
    flushLedger(hz, flushTimeout);
    try {
      return ledgerTable.readByDay(tier, from, to);
    } catch (java.sql.SQLException | RuntimeException e) {
      throw new LedgerUnavailableException(db.description() + ": " + e.getMessage(), e);
    }
  }

  /**
   * The analytics' sums of the ledger as stored in the database (the complete history), read from
   * the sums kept beside its rows ({@link LedgerQueries}); each call first runs {@code flushLocal}
   * (this replica's held-back ledger changes) and writes the ledger map's pending changes (waiting
   * at most {@code flushTimeout}; on timeout the rows stored so far are summed). Calls throw {@link
   * LedgerUnavailableException} if the database did not answer.
   */
  public LedgerSums ledgerSums(HazelcastInstance hz, Runnable flushLocal, Duration flushTimeout) {
    LedgerQueries queries = new LedgerQueries(db);
    return new LedgerSums() {
      @Override
      public ReportSums report(String tier, Period period, LocalDate from, LocalDate to) {
        return query(() -> queries.report(tier, period, from, to));
      }

      @Override
      public List<UserTotal> users(String tier, LocalDate from, LocalDate to) {
        return query(() -> queries.users(tier, from, to));
      }

      @Override
      public AdviceSums advice(String tier, Scope scope, Unit unit, List<LocalDate[]> periods) {
        return query(() -> queries.advice(tier, scope, unit, periods));
      }

      private <T> T query(SqlCall<T> call) {
        flushLocal.run();
        flushLedger(hz, flushTimeout);
        try {
          return call.run();
        } catch (java.sql.SQLException | RuntimeException e) {
          throw new LedgerUnavailableException(db.description() + ": " + e.getMessage(), e);
        }
      }
    };
  }

  @FunctionalInterface
  private interface SqlCall<T> {
    T run() throws java.sql.SQLException;
  }

  /** Writes the ledger map's pending changes, waiting at most {@code timeout}. */
  private void flushLedger(HazelcastInstance hz, Duration timeout) {
    IMap<?, ?> ledgerMap = hz.getMap(HazelcastSetup.LEDGER_MAP);
    try {
      CompletableFuture.runAsync(ledgerMap::flush).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      LOG.warn("persistence.ledger_flush_incomplete: reading the stored rows: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    maintenance.shutdownNow();
    db.close();
  }
}
