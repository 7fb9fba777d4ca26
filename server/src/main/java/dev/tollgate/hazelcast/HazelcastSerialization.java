package dev.tollgate.hazelcast;

import com.hazelcast.config.SerializationConfig;

/**
 * Registers Tollgate's serializers: Compact for usage records, ledger rows and limit overrides,
 * IdentifiedDataSerializable for entry processors. No Java serialization anywhere.
 */
public final class HazelcastSerialization {
  /** The factory id of Tollgate's IdentifiedDataSerializable classes. */
  public static final int FACTORY_ID = 0x70676174; // "tgat"

  private HazelcastSerialization() {}

  /** Registers everything a member or a client needs. */
  public static void register(SerializationConfig s) {
    s.addDataSerializableFactory(FACTORY_ID, TollgateDataSerializableFactory::create);
    s.getCompactSerializationConfig().addSerializer(new UsageRecordSerializer());
    s.getCompactSerializationConfig().addSerializer(new DailyUsageRowSerializer());
    s.getCompactSerializationConfig().addSerializer(new LimitOverrideSerializer());
  }
}
