package dev.tollgate.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.query.Predicate;
import java.io.IOException;
import java.util.Map;

/**
 * Selects held reservations whose expiry ({@link HeldReservations#expiry}) is at or before a time.
 * Runs where the entries are.
 */
final class ExpiredPending extends TollgateSerializable implements Predicate<String, Object> {
  static final int CLASS_ID = 11;
  private long nowMillis;

  /** For deserialization. */
  public ExpiredPending() {}

  ExpiredPending(long nowMillis) {
    this.nowMillis = nowMillis;
  }

  @Override
  public boolean apply(Map.Entry<String, Object> entry) {
    return HeldReservations.expiry(entry.getValue()) <= nowMillis;
  }

  @Override
  public int getClassId() {
    return CLASS_ID;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeLong(nowMillis);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    nowMillis = in.readLong();
  }
}
