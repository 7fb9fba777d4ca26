package dev.tollgate.persistence;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tollgate.quota.Charge;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.UsageRecord;
import dev.tollgate.quota.Window;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class UsageRecordBytesTest {
  private static final List<Limit> LIMITS =
      List.of(
          new Limit(Window.parse("5m"), Unit.TOKENS, 20000),
          new Limit(Window.parse("1d"), Unit.TOKENS, 200000),
          new Limit(Window.month(), Unit.NANO_USD, 5_000_000_000L));

  private static final long T0 = 1_780_000_000_000L;

  /**
   * Written by the version-1 encoder: {@link #LIMITS}, reserve (100 tokens, 2000 nano-USD) at T0,
   * reserve (300, 7000) at T0 + 40 s, adjusted to (250, 6000) at T0 + 50 s.
   */
  private static final byte[] VERSION_1 =
      HexFormat.of()
          .parseHex(
              "01000000030002356d00000000000493e000000000000712b5ae000231640000000005265c000000"
                  + "0000000006498500056d6f6e7468000000009fa52400010000019de0d5c800000000290000000000"
                  + "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
                  + "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
                  + "0000000000000000000000000000000000006400000000000007d000000000000000000000000000"
                  + "0000000000000000000000000000000000000000000000000000fa00000000000017700000000000"
                  + "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
                  + "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
                  + "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
                  + "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
                  + "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
                  + "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
                  + "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
                  + "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
                  + "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
                  + "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
                  + "000000000000000000000000000000000000000000000000000000000000000000015e0000000000"
                  + "001f4000000000000000000000000000000000000000000000000000000000000000000000000000"
                  + "00015e0000000000001f400000019e70454b50");

  @Test
  void readsVersion1() {
    assertEquals(1, VERSION_1[0]);
    UsageRecord r = UsageRecordBytes.decode(VERSION_1);
    long now = T0 + 60_000;
    List<dev.tollgate.quota.WindowStatus> s = r.status(LIMITS, now);
    assertEquals(350, s.get(0).used());
    assertEquals(19650, s.get(0).remaining());
    assertEquals(Duration.parse("PT4M35S"), s.get(0).resetIn());
    assertEquals(350, s.get(1).used());
    assertEquals(Duration.parse("PT23H56M20S"), s.get(1).resetIn());
    assertEquals(8000, s.get(2).used());
    assertEquals(Duration.parse("PT75H32M20S"), s.get(2).resetIn());
    assertEquals(T0 + 50_000, r.lastTouchedMillis());
    // a version-1 window counts both units, and keeps doing so
    UsageRecord.State state = r.state();
    assertArrayEquals(UsageRecord.State.bothUnits(3), state.units());
    assertEquals(41, state.tokens().length);
    assertEquals(41, state.nanoUsd().length);
    UsageRecord again = UsageRecordBytes.decode(UsageRecordBytes.encode(r));
    assertEquals(s, again.status(LIMITS, now));
    assertEquals(UsageRecordBytes.VERSION, UsageRecordBytes.encode(r)[0]);
  }

  @Test
  void version2StoresOnlyTheCountedUnits() {
    UsageRecord r = UsageRecord.empty();
    r.reserve(LIMITS, new Charge(100, 2000), T0, true);
    r.reserve(LIMITS, new Charge(300, 7000), T0 + 40_000, true);
    r.adjust(new Charge(300, 7000), new Charge(250, 6000), T0 + 40_000, T0 + 50_000);
    byte[] bytes = UsageRecordBytes.encode(r);
    assertEquals(UsageRecordBytes.VERSION, bytes[0]);
    UsageRecord back = UsageRecordBytes.decode(bytes);
    long now = T0 + 60_000;
    assertEquals(r.status(LIMITS, now), back.status(LIMITS, now));
    UsageRecord.State s = back.state();
    assertArrayEquals(
        new byte[] {UsageRecord.UNIT_TOKENS, UsageRecord.UNIT_TOKENS, UsageRecord.UNIT_NANO_USD},
        s.units());
    assertEquals(40, s.tokens().length);
    assertEquals(1, s.nanoUsd().length);
    assertEquals(r.lastTouchedMillis(), back.lastTouchedMillis());
    assertEquals(UsageRecordBytes.decode(VERSION_1).status(LIMITS, now), back.status(LIMITS, now));
    // half the counters of version 1
    assertEquals(true, bytes.length < VERSION_1.length / 2 + 64, "bytes: " + bytes.length);
  }

  @Test
  void version3StoresRequestCountersAndVersion2IsStillRead() {
    List<Limit> limits =
        List.of(
            new Limit(Window.parse("5m"), Unit.TOKENS, 20000),
            new Limit(Window.parse("5m"), Unit.REQUESTS, 60),
            new Limit(Window.month(), Unit.REQUESTS, 1000));
    UsageRecord r = UsageRecord.empty();
    r.reserve(limits, new Charge(100, 0, 1), T0, true);
    r.reserve(limits, new Charge(300, 0, 1), T0 + 40_000, true);
    byte[] bytes = UsageRecordBytes.encode(r);
    assertEquals(3, bytes[0]);
    UsageRecord back = UsageRecordBytes.decode(bytes);
    long now = T0 + 60_000;
    assertEquals(r.status(limits, now), back.status(limits, now));
    assertEquals(2, back.status(limits, now).get(1).used());
    assertEquals(2, back.status(limits, now).get(2).used());
    assertArrayEquals(
        new byte[] {UsageRecord.UNIT_TOKENS | UsageRecord.UNIT_REQUESTS, UsageRecord.UNIT_REQUESTS},
        back.state().units());
    assertEquals(21, back.state().requests().length);

    // version 2: the same layout without the request counters (a record that counts none)
    UsageRecord tokensOnly = UsageRecord.empty();
    tokensOnly.reserve(LIMITS, new Charge(100, 2000), T0, true);
    byte[] v3 = UsageRecordBytes.encode(tokensOnly);
    byte[] v2 = new byte[v3.length - 4];
    System.arraycopy(v3, 0, v2, 0, v3.length - 12);
    System.arraycopy(v3, v3.length - 8, v2, v3.length - 12, 8);
    v2[0] = 2;
    assertEquals(tokensOnly.status(LIMITS, now), UsageRecordBytes.decode(v2).status(LIMITS, now));
  }

  @Test
  void refusesUnknownVersionsAndCorruptUnits() {
    byte[] bytes = UsageRecordBytes.encode(UsageRecord.empty());
    bytes[0] = 4;
    assertThrows(IllegalArgumentException.class, () -> UsageRecordBytes.decode(bytes));
    UsageRecord r = UsageRecord.empty();
    r.reserve(LIMITS, new Charge(1, 1), T0, true);
    byte[] b = UsageRecordBytes.encode(r);
    byte[] cut = java.util.Arrays.copyOf(b, b.length - 9);
    assertThrows(IllegalArgumentException.class, () -> UsageRecordBytes.decode(cut));
  }

  @Test
  void encodesWhatADataOutputStreamWrites() throws Exception {
    List<Limit> limits =
        List.of(
            new Limit(Window.parse("5m"), Unit.TOKENS, 20000),
            new Limit(Window.parse("5m"), Unit.REQUESTS, 60),
            new Limit(Window.month(), Unit.NANO_USD, 5_000_000_000L));
    UsageRecord r = UsageRecord.empty();
    r.reserve(limits, new Charge(100, 2000, 1), T0, true);
    r.reserve(limits, new Charge(300, 7000, 1), T0 + 40_000, true);
    UsageRecord.State s = r.state();
    // window names are ASCII today; any name is written as writeUTF writes it
    String[] names = s.names().clone();
    names[0] = "f\u00fcnf\u20ac\u0000";
    UsageRecord odd =
        UsageRecord.fromState(
            new UsageRecord.State(
                names,
                s.lengthMillis(),
                s.month(),
                s.head(),
                s.units(),
                s.tokens(),
                s.nanoUsd(),
                s.requests(),
                s.lastTouchedMillis()));
    for (UsageRecord each : List.of(r, odd, UsageRecord.empty())) {
      byte[] bytes = UsageRecordBytes.encode(each);
      assertArrayEquals(dataOutput(each.state()), bytes);
      assertEquals(
          each.status(limits, T0 + 60_000),
          UsageRecordBytes.decode(bytes).status(limits, T0 + 60_000));
    }
    assertEquals(
        names[0], UsageRecordBytes.decode(UsageRecordBytes.encode(odd)).state().names()[0]);
  }

  /** Version 3 as written with a {@link java.io.DataOutputStream}. */
  private static byte[] dataOutput(UsageRecord.State s) throws java.io.IOException {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
      out.writeByte(3);
      out.writeInt(s.names().length);
      for (int i = 0; i < s.names().length; i++) {
        out.writeUTF(s.names()[i]);
        out.writeLong(s.lengthMillis()[i]);
        out.writeBoolean(s.month()[i]);
        out.writeLong(s.head()[i]);
        out.writeByte(s.units()[i]);
      }
      for (long[] counters : List.of(s.tokens(), s.nanoUsd(), s.requests())) {
        out.writeInt(counters.length);
        for (long v : counters) {
          out.writeLong(v);
        }
      }
      out.writeLong(s.lastTouchedMillis());
    }
    return bytes.toByteArray();
  }
}
