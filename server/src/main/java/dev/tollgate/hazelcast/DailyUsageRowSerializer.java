package dev.tollgate.hazelcast;

import com.hazelcast.nio.serialization.compact.CompactReader;
import com.hazelcast.nio.serialization.compact.CompactSerializer;
import com.hazelcast.nio.serialization.compact.CompactWriter;
import dev.tollgate.ledger.DailyUsage;
import dev.tollgate.ledger.DailyUsageRow;
import dev.tollgate.ledger.LedgerKey;
import java.util.Map;
import java.util.TreeMap;

/**
 * Compact serialization of the ledger's {@link DailyUsageRow}: its key's parts are fields of their
 * own ({@code day} a DATE, {@code tier}, ...), so that the ledger map indexes and queries them.
 */
public final class DailyUsageRowSerializer implements CompactSerializer<DailyUsageRow> {
  @Override
  public DailyUsageRow read(CompactReader in) {
    LedgerKey key =
        new LedgerKey(
            in.readDate("day"),
            in.readString("tier"),
            in.readString("user"),
            in.readString("serviceKey"),
            in.readString("model"));
    String[] names = in.readArrayOfString("refusalKeys");
    long[] counts = in.readArrayOfInt64("refusalCounts");
    Map<String, Long> refusals = new TreeMap<>();
    for (int i = 0; names != null && i < names.length; i++) {
      refusals.put(names[i], counts[i]);
    }
    return new DailyUsageRow(
        key,
        new DailyUsage(
            in.readInt64("requests"),
            in.readInt64("refundedRequests"),
            in.readInt64("inputTokens"),
            in.readInt64("cachedInputTokens"),
            in.readInt64("outputTokens"),
            in.readInt64("nanoUsd"),
            refusals));
  }

  @Override
  public void write(CompactWriter out, DailyUsageRow row) {
    LedgerKey k = row.key();
    DailyUsage u = row.usage();
    out.writeDate("day", k.day());
    out.writeString("tier", k.tier());
    out.writeString("user", k.user());
    out.writeString("serviceKey", k.serviceKey());
    out.writeString("model", k.model());
    out.writeInt64("requests", u.requests());
    out.writeInt64("refundedRequests", u.refundedRequests());
    out.writeInt64("inputTokens", u.inputTokens());
    out.writeInt64("cachedInputTokens", u.cachedInputTokens());
    out.writeInt64("outputTokens", u.outputTokens());
    out.writeInt64("nanoUsd", u.nanoUsd());
    Map<String, Long> sorted = new TreeMap<>(u.refusals());
    out.writeArrayOfString("refusalKeys", sorted.keySet().toArray(String[]::new));
    out.writeArrayOfInt64(
        "refusalCounts", sorted.values().stream().mapToLong(Long::longValue).toArray());
  }

  @Override
  public String getTypeName() {
    return "tollgate.DailyUsageRow";
  }

  @Override
  public Class<DailyUsageRow> getCompactClass() {
    return DailyUsageRow.class;
  }
}
