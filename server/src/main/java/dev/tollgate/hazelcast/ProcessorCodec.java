package dev.tollgate.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import dev.tollgate.quota.Charge;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.Window;
import dev.tollgate.quota.WindowStatus;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Binary forms of the quota domain's values inside entry processors and their results. */
final class ProcessorCodec {
  private ProcessorCodec() {}

  static void writeCharge(ObjectDataOutput out, Charge c) throws IOException {
    out.writeLong(c.tokens());
    out.writeLong(c.nanoUsd());
    out.writeLong(c.requests());
  }

  static Charge readCharge(ObjectDataInput in) throws IOException {
    return new Charge(in.readLong(), in.readLong(), in.readLong());
  }

  static void writeLimit(ObjectDataOutput out, Limit l) throws IOException {
    out.writeString(l.window().name());
    out.writeByte(l.unit().ordinal());
    out.writeLong(l.max());
    out.writeByte(l.mode().ordinal());
    out.writeByte(l.onError() == null ? -1 : l.onError().ordinal());
  }

  static Limit readLimit(ObjectDataInput in) throws IOException {
    Window w = Window.parse(in.readString());
    Unit u = enumAt(Unit.values(), in.readByte(), "unit");
    long max = in.readLong();
    Limit.Mode mode = enumAt(Limit.Mode.values(), in.readByte(), "mode");
    byte onError = in.readByte();
    return new Limit(
        w,
        u,
        max,
        mode,
        onError < 0 ? null : enumAt(Limit.FailurePolicy.values(), onError, "on_error"));
  }

  private static <E> E enumAt(E[] values, int i, String what) throws IOException {
    if (i < 0 || i >= values.length) {
      throw new IOException(what + ": " + i + " (expected: 0.." + (values.length - 1) + ")");
    }
    return values[i];
  }

  static void writeLimits(ObjectDataOutput out, List<Limit> limits) throws IOException {
    out.writeInt(limits.size());
    for (Limit l : limits) {
      writeLimit(out, l);
    }
  }

  static List<Limit> readLimits(ObjectDataInput in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > 1024) {
      throw new IOException("limits: " + n + " (expected: 0..1024)");
    }
    List<Limit> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(readLimit(in));
    }
    return out;
  }

  static void writeStatus(ObjectDataOutput out, WindowStatus s) throws IOException {
    writeLimit(out, s.limit());
    out.writeLong(s.used());
    out.writeLong(s.remaining());
    out.writeLong(s.resetIn().toMillis());
  }

  static WindowStatus readStatus(ObjectDataInput in) throws IOException {
    return new WindowStatus(
        readLimit(in), in.readLong(), in.readLong(), Duration.ofMillis(in.readLong()));
  }

  static void writeStatuses(ObjectDataOutput out, List<WindowStatus> list) throws IOException {
    out.writeInt(list.size());
    for (WindowStatus s : list) {
      writeStatus(out, s);
    }
  }

  static List<WindowStatus> readStatuses(ObjectDataInput in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > 1024) {
      throw new IOException("statuses: " + n + " (expected: 0..1024)");
    }
    List<WindowStatus> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(readStatus(in));
    }
    return out;
  }
}
