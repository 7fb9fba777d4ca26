package dev.tollgate.hazelcast;

import com.hazelcast.map.MapStore;
import dev.tollgate.persistence.OverrideTable;
import dev.tollgate.persistence.PersistenceException;
import dev.tollgate.quota.LimitOverride;
import java.sql.SQLException;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The overrides map's write-through store. Overrides change rarely (an admin call): each change is
 * written before the call returns, and a failed write fails the call. Overrides are few: {@link
 * #loadAllKeys} names them all, so a member's map (and every member's local copy) is complete from
 * the start.
 */
final class OverrideMapStore implements MapStore<String, LimitOverride> {
  private static final Logger LOG = LoggerFactory.getLogger(OverrideMapStore.class);

  private final OverrideTable table;

  OverrideMapStore(OverrideTable table) {
    this.table = table;
  }

  @Override
  public void store(String key, LimitOverride value) {
    storeAll(Map.of(key, value));
  }

  @Override
  public void storeAll(Map<String, LimitOverride> map) {
    try {
      table.storeAll(map.values());
    } catch (SQLException | RuntimeException e) {
      throw failed("write " + map.size() + " override(s)", e);
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
      throw failed("delete " + keys.size() + " override(s)", e);
    }
  }

  @Override
  public LimitOverride load(String key) {
    return loadAll(List.of(key)).get(key);
  }

  @Override
  public Map<String, LimitOverride> loadAll(Collection<String> keys) {
    try {
      return table.loadAll(keys);
    } catch (SQLException | RuntimeException e) {
      throw failed("load " + keys.size() + " override(s)", e);
    }
  }

  /** Every stored override's key: they are few, and all are loaded at start. */
  @Override
  public Iterable<String> loadAllKeys() {
    try {
      return List.copyOf(table.loadAll().keySet());
    } catch (SQLException | RuntimeException e) {
      throw failed("list the overrides", e);
    }
  }

  private static PersistenceException failed(String what, Exception e) {
    LOG.warn("persistence.override_failed: cannot {} ({})", what, e.toString());
    return new PersistenceException("persistence: cannot " + what, e);
  }
}
