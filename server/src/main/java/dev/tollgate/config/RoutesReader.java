package dev.tollgate.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads {@code routes} and {@code unknown_path}: a list of routes, each a path prefix (and
 * optionally methods) with what it counts and the tier it applies; or, as before routes existed, a
 * mapping {@code routes: { unknown_path }} (the OpenAI API as the one route).
 */
final class RoutesReader {
  static final SectionKeys ROUTES = SectionKeys.of("routes", "unknown_path");
  static final SectionKeys ROUTE = SectionKeys.of("routes[]", "prefix", "methods", "count", "tier");

  /** The keys it reads, at every level. */
  static final List<SectionKeys> KEYS =
      List.of(SectionKeys.of("", "routes", "unknown_path"), ROUTES, ROUTE);

  /** The methods a route may name. */
  static final Set<String> METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");

  private RoutesReader() {}

  static RoutesConfig read(Section root, Map<String, TierConfig> tiers) {
    RoutesConfig.UnknownPath unknown =
        root.has("unknown_path")
            ? root.oneOf("unknown_path", RoutesConfig.DEFAULTS.unknownPath())
            : null;
    JsonNode n = root.get("routes");
    if (n == null || n.isNull()) {
      return new RoutesConfig(unknown == null ? RoutesConfig.DEFAULTS.unknownPath() : unknown);
    }
    if (n.isObject()) {
      Section legacy = root.section("routes", ROUTES, false);
      if (legacy != null && legacy.has("unknown_path") && root.has("unknown_path")) {
        root.error(
            "unknown_path",
            "set twice, here and in routes.unknown_path (expected: one of them; with a list of"
                + " routes, the top-level unknown_path)");
      }
      RoutesConfig.UnknownPath u =
          legacy == null || !legacy.has("unknown_path")
              ? null
              : legacy.oneOf("unknown_path", RoutesConfig.DEFAULTS.unknownPath());
      return new RoutesConfig(
          u != null ? u : unknown != null ? unknown : RoutesConfig.DEFAULTS.unknownPath());
    }
    if (!n.isArray()) {
      root.error(
          "routes",
          "a "
              + Reading.kind(n)
              + " (expected: a list of { prefix, count: openai | requests, methods, tier })");
      return RoutesConfig.DEFAULTS;
    }
    if (n.isEmpty()) {
      root.error(
          "routes", "empty (expected: at least one route, e.g. { prefix: /v1/, count: openai })");
      return RoutesConfig.DEFAULTS;
    }
    List<RoutesConfig.Route> routes = new ArrayList<>();
    for (int i = 0; i < n.size(); i++) {
      Section s = root.reading().section(n.get(i), "routes[" + i + "]", ROUTE, true);
      RoutesConfig.Route r = s == null ? null : route(s, tiers);
      if (r == null) {
        continue;
      }
      for (int j = 0; j < routes.size(); j++) {
        RoutesConfig.Route earlier = routes.get(j);
        if (r.prefix().startsWith(earlier.prefix())
            && (earlier.methods().isEmpty()
                || (!r.methods().isEmpty() && earlier.methods().containsAll(r.methods())))) {
          s.error(
              "prefix",
              "'"
                  + r.prefix()
                  + "' is never taken: routes["
                  + j
                  + "] (prefix '"
                  + earlier.prefix()
                  + "') comes first and takes every request it would (expected: the more specific"
                  + " route first)");
        }
      }
      routes.add(r);
    }
    return new RoutesConfig(
        routes, unknown == null ? RoutesConfig.DEFAULTS.unknownPath() : unknown);
  }

  private static RoutesConfig.Route route(Section s, Map<String, TierConfig> tiers) {
    String prefix = s.required("prefix");
    if (prefix != null) {
      String why = prefixProblem(prefix);
      if (why != null) {
        s.error("prefix", "'" + prefix + "' " + why);
        prefix = null;
      }
    }
    Set<String> methods = new LinkedHashSet<>();
    if (s.has("methods")) {
      List<String> ms = s.strings("methods", true);
      for (int i = 0; i < ms.size(); i++) {
        String m = ms.get(i).toUpperCase(Locale.ROOT);
        if (!METHODS.contains(m)) {
          s.error(
              "methods[" + i + "]",
              "'"
                  + ms.get(i)
                  + "' (expected: one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS)");
        }
        methods.add(m);
      }
    }
    RoutesConfig.Count count = null;
    if (!s.has("count")) {
      s.error("count", "missing (expected: openai or requests)");
    } else {
      count = s.oneOf("count", RoutesConfig.Count.OPENAI);
    }
    String tier = s.string("tier", null);
    if (tier != null && !tiers.containsKey(tier)) {
      s.error("tier", "'" + tier + "' is not in tiers (expected: one of " + tiers.keySet() + ")");
      tier = null;
    }
    if (prefix == null || count == null) {
      return null;
    }
    return new RoutesConfig.Route(prefix.toLowerCase(Locale.ROOT), methods, count, tier);
  }

  /** Why a prefix is not one a normalized path can start with, or null when it is. */
  static String prefixProblem(String prefix) {
    if (!prefix.startsWith("/")) {
      return "does not start with '/' (expected: a path prefix such as /actions/)";
    }
    for (char c : prefix.toCharArray()) {
      if (c == '%' || c == '?' || c == '#' || c == '\\' || c == ';' || c <= ' ' || c == 0x7f) {
        return "holds '"
            + c
            + "' (expected: a plain path prefix: no escapes, query, parameters or spaces)";
      }
    }
    if (prefix.contains("//")) {
      return "holds '//' (expected: a normalized path; Tollgate merges slashes before matching)";
    }
    for (String seg : prefix.split("/", -1)) {
      if (seg.equals(".") || seg.equals("..")) {
        return "holds a '" + seg + "' segment (expected: a normalized path)";
      }
    }
    return null;
  }
}
