package dev.tollgate.hazelcast;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.hazelcast.config.SerializationConfig;
import com.hazelcast.internal.serialization.Data;
import com.hazelcast.internal.serialization.InternalSerializationService;
import com.hazelcast.internal.serialization.impl.DefaultSerializationServiceBuilder;
import com.hazelcast.internal.serialization.impl.compact.Schema;
import com.hazelcast.internal.serialization.impl.compact.SchemaService;
import com.hazelcast.nio.serialization.compact.CompactReader;
import com.hazelcast.nio.serialization.compact.CompactSerializer;
import com.hazelcast.nio.serialization.compact.CompactWriter;
import dev.tollgate.quota.Charge;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.UsageRecord;
import dev.tollgate.quota.Window;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

class UsageRecordSerializerTest {
  private static final List<Limit> LIMITS =
      List.of(
          new Limit(Window.parse("5m"), Unit.TOKENS, 20000),
          new Limit(Window.parse("1d"), Unit.TOKENS, 200000),
          new Limit(Window.month(), Unit.NANO_USD, 5_000_000_000L));
  private static final long T0 = 1_780_000_000_000L;

  /** The schema before the units field: every window counts both units. */
  private static final class LegacySerializer implements CompactSerializer<UsageRecord.State> {
    @Override
    public UsageRecord.State read(CompactReader in) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void write(CompactWriter out, UsageRecord.State s) {
      out.writeArrayOfString("names", s.names());
      out.writeArrayOfInt64("lengths", s.lengthMillis());
      out.writeArrayOfBoolean("month", s.month());
      out.writeArrayOfInt64("head", s.head());
      out.writeArrayOfInt64("tokens", s.tokens());
      out.writeArrayOfInt64("usd", s.nanoUsd());
      out.writeInt64("touched", s.lastTouchedMillis());
    }

    @Override
    public String getTypeName() {
      return "tollgate.UsageRecord";
    }

    @Override
    public Class<UsageRecord.State> getCompactClass() {
      return UsageRecord.State.class;
    }
  }

  private static final class Schemas implements SchemaService {
    final Map<Long, Schema> schemas = new ConcurrentHashMap<>();

    @Override
    public Schema get(long id) {
      return schemas.get(id);
    }

    @Override
    public void put(Schema schema) {
      schemas.put(schema.getSchemaId(), schema);
    }

    @Override
    public void putLocal(Schema schema) {
      put(schema);
    }
  }

  private static InternalSerializationService service(
      Schemas schemas, CompactSerializer<?> serializer) {
    SerializationConfig c = new SerializationConfig();
    c.getCompactSerializationConfig().addSerializer(serializer);
    return new DefaultSerializationServiceBuilder().setConfig(c).setSchemaService(schemas).build();
  }

  @Test
  void readsRecordsWrittenWithoutUnits() {
    // a record as the old code held it: both units in every window, counter arrays alike
    UsageRecord current = UsageRecord.empty();
    current.reserve(LIMITS, new Charge(100, 2000), T0, true);
    UsageRecord.State s = current.state();
    long[] tokens = new long[41];
    long[] usd = new long[41];
    tokens[Math.floorMod((int) s.head()[0], 20)] = 100;
    usd[Math.floorMod((int) s.head()[0], 20)] = 2000;
    tokens[20 + Math.floorMod((int) s.head()[1], 20)] = 100;
    usd[20 + Math.floorMod((int) s.head()[1], 20)] = 2000;
    tokens[40] = 100;
    usd[40] = 2000;
    UsageRecord.State legacy =
        new UsageRecord.State(
            s.names(), s.lengthMillis(), s.month(), s.head(), null, tokens, usd, T0);

    Schemas schemas = new Schemas();
    Data data = service(schemas, new LegacySerializer()).toData(legacy);
    UsageRecord back = service(schemas, new UsageRecordSerializer()).toObject(data);

    assertEquals(current.status(LIMITS, T0 + 1), back.status(LIMITS, T0 + 1));
    assertArrayEquals(UsageRecord.State.bothUnits(3), back.state().units());
    assertArrayEquals(tokens, back.state().tokens());
    assertArrayEquals(usd, back.state().nanoUsd());
  }

  @Test
  void roundTripsTheUnits() {
    UsageRecord r = UsageRecord.empty();
    r.reserve(LIMITS, new Charge(100, 2000), T0, true);
    InternalSerializationService ss = service(new Schemas(), new UsageRecordSerializer());
    UsageRecord back = ss.toObject(ss.toData(r));
    assertEquals(r.status(LIMITS, T0 + 1), back.status(LIMITS, T0 + 1));
    assertArrayEquals(r.state().units(), back.state().units());
    assertEquals(40, back.state().tokens().length);
    assertEquals(1, back.state().nanoUsd().length);
  }
}
