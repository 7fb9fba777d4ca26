package dev.tollgate.hazelcast;

import com.hazelcast.nio.serialization.FieldKind;
import com.hazelcast.nio.serialization.compact.CompactReader;
import com.hazelcast.nio.serialization.compact.CompactSerializer;
import com.hazelcast.nio.serialization.compact.CompactWriter;
import dev.tollgate.quota.UsageRecord;

/**
 * Compact serialization of {@link UsageRecord} (schema evolution friendly, no Java serialization).
 * The {@code units} field (which units each window counts) came later: a record written without it
 * counts both units in every window, its counter arrays the same length; so did {@code requests}
 * (request counters): a record written without it counts no requests.
 */
public final class UsageRecordSerializer implements CompactSerializer<UsageRecord> {
  @Override
  public UsageRecord read(CompactReader in) {
    String[] names = in.readArrayOfString("names");
    byte[] units =
        in.getFieldKind("units") == FieldKind.ARRAY_OF_INT8
            ? in.readArrayOfInt8("units")
            : UsageRecord.State.bothUnits(names.length);
    return UsageRecord.fromState(
        new UsageRecord.State(
            names,
            in.readArrayOfInt64("lengths"),
            in.readArrayOfBoolean("month"),
            in.readArrayOfInt64("head"),
            units,
            in.readArrayOfInt64("tokens"),
            in.readArrayOfInt64("usd"),
            in.getFieldKind("requests") == FieldKind.ARRAY_OF_INT64
                ? in.readArrayOfInt64("requests")
                : new long[0],
            in.readInt64("touched")));
  }

  @Override
  public void write(CompactWriter out, UsageRecord record) {
    UsageRecord.State s = record.state();
    out.writeArrayOfString("names", s.names());
    out.writeArrayOfInt64("lengths", s.lengthMillis());
    out.writeArrayOfBoolean("month", s.month());
    out.writeArrayOfInt64("head", s.head());
    out.writeArrayOfInt8("units", s.units());
    out.writeArrayOfInt64("tokens", s.tokens());
    out.writeArrayOfInt64("usd", s.nanoUsd());
    out.writeArrayOfInt64("requests", s.requests());
    out.writeInt64("touched", s.lastTouchedMillis());
  }

  @Override
  public String getTypeName() {
    return "tollgate.UsageRecord";
  }

  @Override
  public Class<UsageRecord> getCompactClass() {
    return UsageRecord.class;
  }
}
