package dev.tollgate.hazelcast;

import com.hazelcast.query.extractor.ValueCollector;
import com.hazelcast.query.extractor.ValueExtractor;

/**
 * The attribute {@value #ATTRIBUTE} of a held reservation ({@link HazelcastQuotaStore#heldValue}'s
 * leading number): the map of held reservations keeps a sorted index on it, so the expiry sweep
 * finds the expired ones without reading every held reservation. Instantiated by Hazelcast from its
 * class name.
 */
public final class HeldExpiry implements ValueExtractor<Object, Object> {
  /** The attribute's name in predicates and the index. */
  public static final String ATTRIBUTE = "expiresAt";

  @Override
  public void extract(Object target, Object argument, ValueCollector collector) {
    if (target instanceof String held) {
      long expiry = HazelcastQuotaStore.heldExpiry(held);
      if (expiry != Long.MIN_VALUE) {
        collector.addObject(expiry);
      }
    }
  }
}
