package dev.tollgate.hazelcast;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import dev.tollgate.ledger.DailyUsageRow;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Adds one member's accumulated change to a daily aggregate, on the key's owner, and keeps the
 * aggregate until its day leaves the retention (time-to-live). A day already past the retention is
 * not written.
 */
final class LedgerMerge extends TollgateSerializable
    implements EntryProcessor<String, DailyUsageRow, Boolean> {
  static final int CLASS_ID = 20;
  DailyUsageRow delta;
  long expiresAtMillis;
  long nowMillis;

  /** For deserialization. */
  public LedgerMerge() {}

  LedgerMerge(DailyUsageRow delta, long expiresAtMillis, long nowMillis) {
    this.delta = delta;
    this.expiresAtMillis = expiresAtMillis;
    this.nowMillis = nowMillis;
  }

  @Override
  public Boolean process(Map.Entry<String, DailyUsageRow> entry) {
    long ttl = expiresAtMillis - nowMillis;
    if (ttl <= 0) {
      return false;
    }
    DailyUsageRow old = entry.getValue();
    DailyUsageRow merged = old == null ? delta : old.plus(delta.usage());
    ((ExtendedMapEntry<String, DailyUsageRow>) entry).setValue(merged, ttl, TimeUnit.MILLISECONDS);
    return true;
  }

  @Override
  public int getClassId() {
    return CLASS_ID;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeObject(delta);
    out.writeLong(expiresAtMillis);
    out.writeLong(nowMillis);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    delta = in.readObject();
    expiresAtMillis = in.readLong();
    nowMillis = in.readLong();
  }
}
