package dev.tollgate.hazelcast;

import com.hazelcast.map.MapStore;
import dev.tollgate.persistence.PersistenceException;
import dev.tollgate.persistence.UsageRecordTable;
import dev.tollgate.quota.UsageRecord;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The usage map's write-behind store: Hazelcast calls it from its write-behind and (offloaded)
 * loading threads, never from a partition thread, so the database is never on the Check path.
 *
 * <ul>
 *   <li>Writes: changes are coalesced per key and written every {@code write_delay}; a failed batch
 *       throws, and Hazelcast keeps the entries queued and tries again (at most one pending write
 *       per key: the backlog is bounded by the number of keys in memory).
 *   <li>Loads: a key is loaded the first time it is used after a start ({@link #loadAllKeys}
 *       returns null: no warm-up scan). A load that fails fails that one store call, which the
 *       Check treats by {@code store.on_error}: counting from zero would overwrite the stored
 *       usage.
 * </ul>
 */
final class UsageMapStore implements MapStore<String, UsageRecord> {
  private static final Logger LOG = LoggerFactory.getLogger(UsageMapStore.class);
  private static final long WARN_EVERY_MILLIS = 10_000;

  private final UsageRecordTable table;
  private final Clock clock;
  private final LongAdder written = new LongAdder();
  private final LongAdder failures = new LongAdder();
  private final AtomicLong lastWarning = new AtomicLong();

  UsageMapStore(UsageRecordTable table, Clock clock) {
    this.table = table;
    this.clock = clock;
  }

  @Override
  public void store(String key, UsageRecord value) {
    storeAll(Map.of(key, value));
  }

  @Override
  public void storeAll(Map<String, UsageRecord> map) {
    try {
      table.storeAll(map, clock.millis());
      written.add(map.size());
    } catch (SQLException | RuntimeException e) {
      throw failed("write " + map.size() + " usage record(s)", e);
    }
  }

  @Override
  public void delete(String key) {
    deleteAll(java.util.List.of(key));
  }

  @Override
  public void deleteAll(Collection<String> keys) {
    try {
      table.deleteAll(keys);
    } catch (SQLException | RuntimeException e) {
      throw failed("delete " + keys.size() + " usage record(s)", e);
    }
  }

  @Override
  public UsageRecord load(String key) {
    try {
      return table.load(key);
    } catch (SQLException | RuntimeException e) {
      throw failed("load a usage record", e);
    }
  }

  @Override
  public Map<String, UsageRecord> loadAll(Collection<String> keys) {
    try {
      return table.loadAll(keys);
    } catch (SQLException | RuntimeException e) {
      throw failed("load " + keys.size() + " usage record(s)", e);
    }
  }

  /** Null: nothing is loaded at start-up; each key is loaded on first use. */
  @Override
  public Iterable<String> loadAllKeys() {
    return null;
  }

  /** Records written since start. */
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
          "persistence.failed: cannot {} ({}); usage is kept in memory and written when the"
              + " database answers ({} failure(s) so far)",
          what,
          e.toString(),
          failures.sum());
    }
    return new PersistenceException("persistence: cannot " + what, e);
  }
}
