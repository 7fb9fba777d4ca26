package dev.tollgate.hazelcast;

import com.hazelcast.config.Config;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MapStoreConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.tollgate.config.PersistenceConfig;
import dev.tollgate.persistence.Database;
import dev.tollgate.persistence.LedgerTable;
import dev.tollgate.persistence.UsageRecordTable;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The maps whose entries are written behind to the {@link Database}: the usage records and the
 * usage ledger's daily aggregates. Configures their map stores on a member, reports the backlog,
 * and flushes before the member stops.
 */
public final class PersistentMaps implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PersistentMaps.class);

  /** How many entries one write-behind batch holds. */
  static final int WRITE_BATCH = 500;

  private final PersistenceConfig config;
  private final Database db;
  private final UsageMapStore usage;
  private final LedgerMapStore ledger;

  private PersistentMaps(PersistenceConfig config, Database db, Clock clock) {
    this.config = config;
    this.db = db;
    this.usage = new UsageMapStore(new UsageRecordTable(db), clock);
    this.ledger = new LedgerMapStore(new LedgerTable(db), clock, config.retentionDays());
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

  @Override
  public void close() {
    db.close();
  }
}
