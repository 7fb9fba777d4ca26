package dev.tollgate.hazelcast;

import com.hazelcast.map.MapStore;
import dev.tollgate.persistence.KeyedTable;
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
 * The write-behind store of a map kept in a {@link KeyedTable}: the usage map (usage records) and
 * the ledger map (daily aggregates). Hazelcast calls it from its write-behind and (offloaded)
 * loading threads, never from a partition thread, so the database is never on the Check path.
 *
 * <ul>
 *   <li>Writes: changes are coalesced per key and written every {@code write_delay}; a failed batch
 *       throws, and Hazelcast keeps the entries queued and tries again (at most one pending write
 *       per key: the backlog is bounded by the number of keys in memory).
 *   <li>Loads: a key is loaded the first time it is used after a start ({@link #loadAllKeys}
 *       returns null: no warm-up scan); a ledger merge into a day not in memory adds to the stored
 *       row. A load that fails fails that one store call, which the Check treats by {@code
 *       store.on_error}: counting from zero would overwrite the stored usage.
 *   <li>The in-memory expiry deletes nothing; rows past their time are deleted by {@link
 *       PersistentMaps#deleteExpired()}.
 * </ul>
 *
 * @param <V> the map's values
 */
final class WriteBehindMapStore<V> implements MapStore<String, V> {
  private static final Logger LOG = LoggerFactory.getLogger(WriteBehindMapStore.class);
  private static final long WARN_EVERY_MILLIS = 10_000;

  private final KeyedTable<V> table;
  private final String rows;
  private final Clock clock;
  private final LongAdder written = new LongAdder();
  private final LongAdder failures = new LongAdder();
  private final AtomicLong lastWarning = new AtomicLong();

  /**
   * @param rows what a row is, plural, for messages ({@code "usage record(s)"})
   */
  WriteBehindMapStore(KeyedTable<V> table, String rows, Clock clock) {
    this.table = table;
    this.rows = rows;
    this.clock = clock;
  }

  @Override
  public void store(String key, V value) {
    storeAll(Map.of(key, value));
  }

  @Override
  public void storeAll(Map<String, V> map) {
    try {
      table.storeAll(map, clock.millis());
      written.add(map.size());
    } catch (SQLException | RuntimeException e) {
      throw failed("write " + map.size() + " " + rows, e);
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
      throw failed("delete " + keys.size() + " " + rows, e);
    }
  }

  @Override
  public V load(String key) {
    return loadAll(List.of(key)).get(key);
  }

  @Override
  public Map<String, V> loadAll(Collection<String> keys) {
    try {
      return table.loadAll(keys);
    } catch (SQLException | RuntimeException e) {
      throw failed("load " + keys.size() + " " + rows, e);
    }
  }

  /** Null: nothing is loaded at start-up; each key is loaded on first use. */
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
          "persistence.failed: cannot {} ({}); kept in memory and written when the database"
              + " answers ({} failure(s) so far)",
          what,
          e.toString(),
          failures.sum());
    }
    return new PersistenceException("persistence: cannot " + what, e);
  }
}
