package dev.tollgate.hazelcast;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Records an assertion nonce on its owner if it is not already there (or has expired), with a
 * time-to-live that ends with the assertion. Answers true for a first use, false for a replay.
 */
public final class NonceProcessor extends TollgateSerializable
    implements EntryProcessor<String, Long, Boolean> {
  static final int CLASS_ID = 10;
  private long expiresAtMillis;
  private long nowMillis;

  /** For deserialization. */
  public NonceProcessor() {}

  public NonceProcessor(long expiresAtMillis, long nowMillis) {
    this.expiresAtMillis = expiresAtMillis;
    this.nowMillis = nowMillis;
  }

  @Override
  public Boolean process(Map.Entry<String, Long> entry) {
    Long old = entry.getValue();
    if (old != null && old > nowMillis) {
      return false;
    }
    long ttl = Math.max(1, expiresAtMillis - nowMillis);
    ((ExtendedMapEntry<String, Long>) entry).setValue(expiresAtMillis, ttl, TimeUnit.MILLISECONDS);
    return true;
  }

  @Override
  public int getClassId() {
    return CLASS_ID;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeLong(expiresAtMillis);
    out.writeLong(nowMillis);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    expiresAtMillis = in.readLong();
    nowMillis = in.readLong();
  }
}
