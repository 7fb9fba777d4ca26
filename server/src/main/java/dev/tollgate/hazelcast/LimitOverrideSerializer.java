package dev.tollgate.hazelcast;

import com.hazelcast.nio.serialization.compact.CompactReader;
import com.hazelcast.nio.serialization.compact.CompactSerializer;
import com.hazelcast.nio.serialization.compact.CompactWriter;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.LimitOverride;
import dev.tollgate.quota.Scope;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.Window;
import java.util.ArrayList;
import java.util.List;

/** Compact serialization of a {@link LimitOverride}: its limits as parallel arrays. */
public final class LimitOverrideSerializer implements CompactSerializer<LimitOverride> {
  @Override
  public LimitOverride read(CompactReader in) {
    String[] windows = in.readArrayOfString("windows");
    String[] units = in.readArrayOfString("units");
    long[] maxes = in.readArrayOfInt64("maxes");
    List<Limit> limits = new ArrayList<>(windows.length);
    for (int i = 0; i < windows.length; i++) {
      limits.add(
          new Limit(
              Window.parse(windows[i]),
              switch (units[i]) {
                case "usd" -> Unit.NANO_USD;
                case "requests" -> Unit.REQUESTS;
                default -> Unit.TOKENS;
              },
              maxes[i]));
    }
    return new LimitOverride(
        Scope.fromConfigName(in.readString("scope")),
        in.readString("id"),
        limits,
        in.readInt64("updatedAt"));
  }

  @Override
  public void write(CompactWriter out, LimitOverride o) {
    List<Limit> ls = o.limits();
    out.writeString("scope", o.scope().configName());
    out.writeString("id", o.id());
    out.writeArrayOfString(
        "windows", ls.stream().map(l -> l.window().name()).toArray(String[]::new));
    out.writeArrayOfString(
        "units", ls.stream().map(l -> l.unit().configName()).toArray(String[]::new));
    out.writeArrayOfInt64("maxes", ls.stream().mapToLong(Limit::max).toArray());
    out.writeInt64("updatedAt", o.updatedAtMillis());
  }

  @Override
  public String getTypeName() {
    return "tollgate.LimitOverride";
  }

  @Override
  public Class<LimitOverride> getCompactClass() {
    return LimitOverride.class;
  }
}
