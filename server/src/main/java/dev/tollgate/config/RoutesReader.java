package dev.tollgate.config;

import java.util.List;

/** Reads {@code routes}: what happens to a path Tollgate does not know. */
final class RoutesReader {
  static final SectionKeys ROUTES = SectionKeys.of("routes", "unknown_path");

  /** The keys it reads, at every level. */
  static final List<SectionKeys> KEYS = List.of(SectionKeys.of("", "routes"), ROUTES);

  private RoutesReader() {}

  static RoutesConfig read(Section root) {
    Section n = root.section("routes", ROUTES, false);
    if (n == null) {
      return RoutesConfig.DEFAULTS;
    }
    return new RoutesConfig(n.oneOf("unknown_path", RoutesConfig.DEFAULTS.unknownPath()));
  }
}
