package dev.tollgate.config;

import java.util.List;

/** Reads {@code upstream}: who puts the upstream key on, and the key when Tollgate does. */
final class UpstreamReader {
  static final SectionKeys UPSTREAM =
      SectionKeys.of("upstream", "api_key", "api_key_env", "api_key_file", "injected_by");

  /** The keys it reads, at every level. */
  static final List<SectionKeys> KEYS = List.of(SectionKeys.of("", "upstream"), UPSTREAM);

  private UpstreamReader() {}

  static UpstreamConfig read(Section root) {
    Section s = root.section("upstream", UPSTREAM, true);
    if (s == null) {
      return new UpstreamConfig(null);
    }
    UpstreamConfig.InjectedBy by = s.oneOf("injected_by", UpstreamConfig.DEFAULT_INJECTED_BY);
    if (by == UpstreamConfig.InjectedBy.ENVOY) {
      for (String k : List.of("api_key", "api_key_env", "api_key_file")) {
        if (s.has(k)) {
          s.error(
              k,
              "set with injected_by: envoy (expected: no upstream key here; Envoy's "
                  + "credential_injector holds it)");
        }
      }
      return UpstreamConfig.injectedByEnvoy();
    }
    return new UpstreamConfig(s.secret("api_key", true));
  }
}
