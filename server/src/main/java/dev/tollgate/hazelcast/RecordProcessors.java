package dev.tollgate.hazelcast;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import dev.tollgate.quota.Charge;
import dev.tollgate.quota.KeyReserveResult;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.UsageRecord;
import dev.tollgate.quota.WindowStatus;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The entry processors that change usage records on their owner: reserve, adjust, status. Each runs
 * on the key's partition thread, so check-and-reserve across all windows of a key is one atomic
 * step with one network hop. After a change the entry's time-to-live is set to the record's longest
 * window, so idle records expire by themselves.
 */
final class RecordProcessors {
  private RecordProcessors() {}

  static void store(Map.Entry<String, UsageRecord> entry, UsageRecord r) {
    long ttl = Math.max(1000, r.longestWindow().toMillis() + Duration.ofMinutes(1).toMillis());
    ((ExtendedMapEntry<String, UsageRecord>) entry).setValue(r, ttl, TimeUnit.MILLISECONDS);
  }

  /** Check-and-reserve on every limit of a key. */
  static final class Reserve extends TollgateSerializable
      implements EntryProcessor<String, UsageRecord, Outcome> {
    static final int CLASS_ID = 1;
    List<Limit> limits;
    Charge charge;
    long now;
    boolean enforce;

    public Reserve() {}

    Reserve(List<Limit> limits, Charge charge, long now, boolean enforce) {
      this.limits = limits;
      this.charge = charge;
      this.now = now;
      this.enforce = enforce;
    }

    @Override
    public Outcome process(Map.Entry<String, UsageRecord> entry) {
      UsageRecord r = entry.getValue() == null ? UsageRecord.empty() : entry.getValue();
      KeyReserveResult o = r.reserve(limits, charge, now, enforce);
      if (o instanceof KeyReserveResult.Granted) {
        store(entry, r);
      }
      return new Outcome(o);
    }

    @Override
    public int getClassId() {
      return CLASS_ID;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      ProcessorCodec.writeLimits(out, limits);
      ProcessorCodec.writeCharge(out, charge);
      out.writeLong(now);
      out.writeBoolean(enforce);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      limits = ProcessorCodec.readLimits(in);
      charge = ProcessorCodec.readCharge(in);
      now = in.readLong();
      enforce = in.readBoolean();
    }
  }

  /** Settle or release: replace the reserved charge by the actual one. */
  static final class Adjust extends TollgateSerializable
      implements EntryProcessor<String, UsageRecord, Boolean> {
    static final int CLASS_ID = 2;
    Charge reserved;
    Charge actual;
    long reservedAt;
    long now;

    public Adjust() {}

    Adjust(Charge reserved, Charge actual, long reservedAt, long now) {
      this.reserved = reserved;
      this.actual = actual;
      this.reservedAt = reservedAt;
      this.now = now;
    }

    @Override
    public Boolean process(Map.Entry<String, UsageRecord> entry) {
      UsageRecord r = entry.getValue();
      if (r == null) {
        return false;
      }
      r.adjust(reserved, actual, reservedAt, now);
      store(entry, r);
      return true;
    }

    @Override
    public int getClassId() {
      return CLASS_ID;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      ProcessorCodec.writeCharge(out, reserved);
      ProcessorCodec.writeCharge(out, actual);
      out.writeLong(reservedAt);
      out.writeLong(now);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      reserved = ProcessorCodec.readCharge(in);
      actual = ProcessorCodec.readCharge(in);
      reservedAt = in.readLong();
      now = in.readLong();
    }
  }

  /** Read the windows without changing them (read-only: no backup traffic). */
  static final class Status extends TollgateSerializable
      implements EntryProcessor<String, UsageRecord, Outcome>, com.hazelcast.core.ReadOnly {
    static final int CLASS_ID = 3;
    List<Limit> limits;
    long now;

    public Status() {}

    Status(List<Limit> limits, long now) {
      this.limits = limits;
      this.now = now;
    }

    @Override
    public Outcome process(Map.Entry<String, UsageRecord> entry) {
      UsageRecord r = entry.getValue() == null ? UsageRecord.empty() : entry.getValue();
      return new Outcome(new KeyReserveResult.Granted(r.status(limits, now)));
    }

    @Override
    public EntryProcessor<String, UsageRecord, Outcome> getBackupProcessor() {
      return null;
    }

    @Override
    public int getClassId() {
      return CLASS_ID;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      ProcessorCodec.writeLimits(out, limits);
      out.writeLong(now);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      limits = ProcessorCodec.readLimits(in);
      now = in.readLong();
    }
  }

  /** A {@link KeyReserveResult} on the wire. */
  static final class Outcome extends TollgateSerializable {
    static final int CLASS_ID = 4;
    KeyReserveResult value;

    public Outcome() {}

    Outcome(KeyReserveResult value) {
      this.value = value;
    }

    @Override
    public int getClassId() {
      return CLASS_ID;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      if (value instanceof KeyReserveResult.Refused r) {
        out.writeBoolean(false);
        ProcessorCodec.writeStatus(out, r.binding());
        out.writeLong(r.retryAfter().toMillis());
        out.writeBoolean(r.neverFits());
      } else {
        out.writeBoolean(true);
      }
      ProcessorCodec.writeStatuses(out, value.windows());
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      if (in.readBoolean()) {
        value = new KeyReserveResult.Granted(ProcessorCodec.readStatuses(in));
      } else {
        WindowStatus binding = ProcessorCodec.readStatus(in);
        Duration retry = Duration.ofMillis(in.readLong());
        boolean never = in.readBoolean();
        value =
            new KeyReserveResult.Refused(binding, retry, never, ProcessorCodec.readStatuses(in));
      }
    }
  }
}
