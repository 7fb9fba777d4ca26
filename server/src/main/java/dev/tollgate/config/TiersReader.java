package dev.tollgate.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.Money;
import dev.tollgate.quota.Scope;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.Window;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reads {@code tiers}: each tier's models, output reserve and limits. */
final class TiersReader {
  static final SectionKeys TIER =
      SectionKeys.of("tiers.NAME", "models", "output_reserve_tokens", "limits");
  static final SectionKeys LIMIT =
      SectionKeys.of(
          "tiers.NAME.limits[]",
          "scope",
          "window",
          "tokens",
          "usd",
          "requests",
          "mode",
          "on_error");

  /** The keys it reads, at every level. */
  static final List<SectionKeys> KEYS = List.of(SectionKeys.of("", "tiers"), TIER, LIMIT);

  private TiersReader() {}

  static Map<String, TierConfig> read(Section root, Map<String, ModelConfig> models) {
    Reading r = root.reading();
    Map<String, TierConfig> out = new LinkedHashMap<>();
    JsonNode n = root.get("tiers");
    if (!r.mapping(n, "tiers", true)) {
      return out;
    }
    Iterator<Map.Entry<String, JsonNode>> it = n.properties().iterator();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      Section t = r.section(e.getValue(), "tiers." + e.getKey(), TIER, true);
      if (t != null) {
        out.put(e.getKey(), tier(t, e.getKey(), models));
      }
    }
    if (out.isEmpty()) {
      root.error("tiers", "empty (expected: at least one tier)");
    }
    return out;
  }

  private static TierConfig tier(Section t, String name, Map<String, ModelConfig> models) {
    List<String> ms = t.strings("models", true);
    for (int i = 0; i < ms.size(); i++) {
      if (!models.containsKey(ms.get(i))) {
        t.error(
            "models[" + i + "]",
            "'" + ms.get(i) + "' is not in models (expected: one of " + models.keySet() + ")");
      }
    }
    int reserve =
        (int)
            t.integer(
                "output_reserve_tokens", 0, 1_000_000, TierConfig.DEFAULT_OUTPUT_RESERVE_TOKENS);
    List<LimitConfig> limits = new ArrayList<>();
    JsonNode ls = t.get("limits");
    if (ls != null && !ls.isNull()) {
      if (!ls.isArray()) {
        t.error(
            "limits",
            "a "
                + Reading.kind(ls)
                + " (expected: a list of { scope, window, tokens | usd | requests })");
      } else {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < ls.size(); i++) {
          String path = t.path("limits") + "[" + i + "]";
          Section s = t.reading().section(ls.get(i), path, LIMIT, true);
          LimitConfig l = s == null ? null : limit(s);
          if (l != null) {
            String id =
                l.scope()
                    + "/"
                    + l.limit().window().name()
                    + "/"
                    + l.limit().unit()
                    + "/"
                    + l.limit().mode();
            if (!seen.add(id)) {
              s.error(
                  "a second "
                      + l.scope().configName()
                      + " limit on window "
                      + l.limit().window().name()
                      + " in "
                      + l.limit().unit().configName()
                      + (l.limit().shadow() ? " in shadow mode" : "")
                      + " (expected: one limit per scope, window and unit, and at most one shadow"
                      + " limit beside it)");
            }
            limits.add(l);
          }
        }
      }
    }
    return new TierConfig(name, ms, reserve, limits);
  }

  private static LimitConfig limit(Section n) {
    String scopeName = n.required("scope");
    Scope scope = scopeName == null ? null : Scope.fromConfigName(scopeName);
    if (scopeName != null && scope == null) {
      n.error("scope", "'" + scopeName + "' (expected: user, conversation, key or global)");
    }
    String windowName = n.required("window");
    Window window = null;
    if (windowName != null) {
      try {
        window = Window.parse(windowName);
      } catch (IllegalArgumentException e) {
        n.error("window", e.getMessage().replaceFirst("^window: ", ""));
      }
    }
    List<String> amounts = new ArrayList<>(3);
    for (String k : List.of("tokens", "usd", "requests")) {
      if (n.has(k)) {
        amounts.add(k);
      }
    }
    if (amounts.size() != 1) {
      n.error(
          (amounts.isEmpty()
                  ? "none of tokens, usd, requests"
                  : "both " + String.join(" and ", amounts))
              + " (expected: exactly one of tokens, usd, requests)");
      return null;
    }
    long max;
    Unit unit;
    if (amounts.get(0).equals("tokens")) {
      max = n.integer("tokens", 1, Long.MAX_VALUE / 4, -1);
      unit = Unit.TOKENS;
    } else if (amounts.get(0).equals("requests")) {
      max = n.integer("requests", 1, Long.MAX_VALUE / 4, -1);
      unit = Unit.REQUESTS;
    } else {
      BigDecimal usd = n.reading().decimal(n.get("usd"), n.path("usd"));
      if (usd != null && usd.signum() <= 0) {
        n.error("usd", usd.toPlainString() + " (expected: > 0)");
        usd = null;
      }
      max = usd == null ? -1 : Money.toNanoUsd(usd);
      unit = Unit.NANO_USD;
    }
    Limit.Mode mode = n.oneOf("mode", Limit.Mode.ENFORCE);
    Limit.FailurePolicy onError =
        n.has("on_error") ? n.oneOf("on_error", Limit.FailurePolicy.DENY) : null;
    if (scope == null || window == null || max <= 0) {
      return null;
    }
    return new LimitConfig(scope, new Limit(window, unit, max, mode, onError));
  }
}
