package dev.tollgate.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
    return new UpstreamConfig(secret(s, "api_key", true));
  }

  /** Exactly one of {@code NAME}, {@code NAME_env}, {@code NAME_file}. */
  private static Secret secret(Section s, String name, boolean required) {
    Reading r = s.reading();
    int given =
        (s.has(name) ? 1 : 0) + (s.has(name + "_env") ? 1 : 0) + (s.has(name + "_file") ? 1 : 0);
    if (given == 0) {
      if (required) {
        s.error(
            "no " + name + " (expected: one of " + name + ", " + name + "_env, " + name + "_file)");
      }
      return null;
    }
    if (given > 1) {
      s.error(
          "more than one of "
              + name
              + ", "
              + name
              + "_env, "
              + name
              + "_file (expected: exactly one)");
      return null;
    }
    if (s.has(name)) {
      var v = s.get(name);
      if (!v.isTextual()) {
        s.error(name, "a " + Reading.kind(v) + " (expected: a string, e.g. \"${OPENAI_API_KEY}\")");
        return null;
      }
      String value = r.expandSecret(v.asText(), s.path(name));
      return value == null ? null : new Secret(value, "inline " + s.path(name));
    }
    if (s.has(name + "_env")) {
      String var = s.string(name + "_env", null);
      if (var == null) {
        return null;
      }
      String value = r.env(var);
      if (value == null) {
        s.error(
            name + "_env",
            "environment variable " + var + " is not set (expected: the secret in " + var + ")");
        return null;
      }
      return new Secret(value.strip(), "env " + var);
    }
    String f = s.string(name + "_file", null);
    if (f == null) {
      return null;
    }
    try {
      return new Secret(
          Files.readString(r.resolve(f), StandardCharsets.UTF_8).strip(), "file " + f);
    } catch (IOException e) {
      s.error(
          name + "_file", "cannot read " + f + " (expected: a readable file holding the secret)");
      return null;
    }
  }
}
