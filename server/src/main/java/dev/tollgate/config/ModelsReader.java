package dev.tollgate.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.tokens.Encodings;
import java.math.BigDecimal;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads {@code models}: each model's tokenizer and prices. */
final class ModelsReader {
  static final SectionKeys MODEL =
      SectionKeys.of(
          "models.NAME",
          "encoding",
          "input_usd_per_mtok",
          "cached_input_usd_per_mtok",
          "output_usd_per_mtok");

  /** The keys it reads, at every level. */
  static final List<SectionKeys> KEYS = List.of(SectionKeys.of("", "models"), MODEL);

  private ModelsReader() {}

  static Map<String, ModelConfig> read(Section root) {
    Reading r = root.reading();
    Map<String, ModelConfig> out = new LinkedHashMap<>();
    JsonNode n = root.get("models");
    if (!r.mapping(n, "models", true)) {
      return out;
    }
    Iterator<Map.Entry<String, JsonNode>> it = n.properties().iterator();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      ModelConfig d = ModelConfig.unpriced(e.getKey());
      if (e.getValue() == null || e.getValue().isNull()) {
        out.put(e.getKey(), d);
        continue;
      }
      Section m = r.section(e.getValue(), "models." + e.getKey(), MODEL, true);
      if (m == null) {
        continue;
      }
      String enc = m.string("encoding", d.encoding());
      if (enc != null && !Encodings.isKnownEncodingName(enc)) {
        m.error(
            "encoding", "'" + enc + "' (expected: one of " + Encodings.knownEncodingNames() + ")");
      }
      out.put(
          e.getKey(),
          new ModelConfig(
              e.getKey(),
              enc,
              price(m, "input_usd_per_mtok", d.inputUsdPerMtok()),
              price(m, "cached_input_usd_per_mtok", d.cachedInputUsdPerMtok()),
              price(m, "output_usd_per_mtok", d.outputUsdPerMtok())));
    }
    if (out.isEmpty()) {
      root.error("models", "empty (expected: at least one model)");
    }
    return out;
  }

  private static BigDecimal price(Section m, String key, BigDecimal def) {
    if (!m.has(key) || m.get(key).isNull()) {
      return def;
    }
    BigDecimal v = m.reading().decimal(m.get(key), m.path(key));
    if (v != null && v.signum() < 0) {
      m.error(key, v.toPlainString() + " (expected: >= 0)");
      return def;
    }
    return v == null ? def : v;
  }
}
