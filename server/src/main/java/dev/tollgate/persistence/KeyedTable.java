package dev.tollgate.persistence;

import java.sql.SQLException;
import java.util.Collection;
import java.util.Map;

/**
 * A table of rows by string key that a write-behind map store reads and writes: the usage records
 * and the usage ledger.
 *
 * @param <V> the value a row holds
 */
public interface KeyedTable<V> {
  /** The stored values of {@code keys}; keys without a row are absent from the answer. */
  Map<String, V> loadAll(Collection<String> keys) throws SQLException;

  /** Writes every value, in one transaction. */
  void storeAll(Map<String, V> values, long nowMillis) throws SQLException;

  /** Deletes the rows of {@code keys}. */
  void deleteAll(Collection<String> keys) throws SQLException;
}
