package dev.tollgate.hazelcast;

import com.hazelcast.map.MapStore;
import dev.tollgate.ledger.DailyUsageRow;
import dev.tollgate.persistence.LedgerTable;
import dev.tollgate.persistence.PersistenceException;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ledger map's write-behind store, as {@link UsageMapStore} is the usage map's: aggregates are
 * coalesced per key and written every {@code write_delay}, loaded on first use after a start (a
 * merge into a day that is not in memory adds to the stored row), and never deleted by the
 * in-memory expiry. Rows older than the retention are deleted by {@link
 * PersistentMaps#deleteExpired()}.
 */
final class LedgerMapStore implements MapStore<String, DailyUsageRow> {
  private static final Logger LOG = LoggerFactory.getLogger(LedgerMapStore.class);
  private static final long WARN_EVERY_MILLIS = 10_000;

  private final LedgerTable table;
  private final Clock clock;
  private final LongAdder written = new LongAdder();
  private final LongAdder failures = new LongAdder();
  private final AtomicLong lastWarning = new AtomicLong();

  LedgerMapStore(LedgerTable table, Clock clock) {
    this.table = table;
    this.clock = clock;
  }

  @Override
  public void store(String key, DailyUsageRow value) {
    storeAll(Map.of(key, value));
  }

  @Override
  public void storeAll(Map<String, DailyUsageRow> map) {
    try {
      table.storeAll(map, clock.millis());
      written.add(map.size());
    } catch (SQLException | RuntimeException e) {
      throw failed("write " + map.size() + " ledger row(s)", e);
    }
  }

  @Override
  public void delete(String key) {
    deleteAll(List.of(key));
  }

  @Override
  public void deleteAll(Collection<String> keys) {
    try {
      table.deleteAll(keys);
    } catch (SQLException | RuntimeException e) {
      throw failed("delete " + keys.size() + " ledger row(s)", e);
    }
  }

  @Override
  public DailyUsageRow load(String key) {
    return loadAll(List.of(key)).get(key);
  }

  @Override
  public Map<String, DailyUsageRow> loadAll(Collection<String> keys) {
    try {
      return table.loadAll(keys);
    } catch (SQLException | RuntimeException e) {
      throw failed("load " + keys.size() + " ledger row(s)", e);
    }
  }

  /** Null: nothing is loaded at start-up; each aggregate is loaded on first use. */
  @Override
  public Iterable<String> loadAllKeys() {
    return null;
  }

  /** Rows written since start. */
  long written() {
    return written.sum();
  }

  /** Failed database calls since start. */
  long failures() {
    return failures.sum();
  }

  private PersistenceException failed(String what, Exception e) {
    failures.increment();
    long now = System.currentTimeMillis();
    long last = lastWarning.get();
    if (now - last >= WARN_EVERY_MILLIS && lastWarning.compareAndSet(last, now)) {
      LOG.warn(
          "persistence.failed: cannot {} ({}); the ledger is kept in memory and written when the"
              + " database answers ({} failure(s) so far)",
          what,
          e.toString(),
          failures.sum());
    }
    return new PersistenceException("persistence: cannot " + what, e);
  }
}
