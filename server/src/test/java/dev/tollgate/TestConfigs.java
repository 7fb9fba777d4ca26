package dev.tollgate;

import dev.tollgate.auth.ServiceKeys;
import dev.tollgate.config.ConfigException;
import dev.tollgate.config.ConfigLoader;
import dev.tollgate.config.TollgateConfig;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Map;

/** Configurations for tests, written as YAML the way users write them. */
public final class TestConfigs {
  /** The bearer value of the test service key (tier default, role service). */
  public static final String SERVICE_KEY = "sk-test-service";

  /** A second valid key (rotation). */
  public static final String SERVICE_KEY_2 = "sk-test-service-rotated";

  /** The bearer value of the system key (tier default, role system). */
  public static final String SYSTEM_KEY = "sk-test-system";

  /** The upstream API key Tollgate swaps in. */
  public static final String UPSTREAM_KEY = "sk-upstream-SECRET-0000";

  private TestConfigs() {}

  /** sha256 hex of a bearer value. */
  public static String sha256(String bearer) {
    return HexFormat.of().formatHex(ServiceKeys.sha256(bearer.getBytes(StandardCharsets.UTF_8)));
  }

  /** A config with the given limits (YAML list items under tiers.default.limits). */
  public static TollgateConfig withLimits(String limitsYaml) {
    return parse(yaml(limitsYaml, "memory", "deny"));
  }

  /** The YAML text of a test config. */
  public static String yaml(String limitsYaml, String storeType, String onError) {
    return """
        upstream: { api_key: "${UPSTREAM}" }
        keys:
          - { name: web, sha256: "%s", tier: default, role: service }
          - { name: web-rotated, sha256: "%s", tier: default, role: service }
          - { name: batch, sha256: "%s", tier: default, role: system }
        identity:
          sources: [header:x-on-behalf-of, header:openai-ephemeral-user-id, jwt:sub, body:user]
          fallback: anonymous
        models:
          gpt-4o-mini: { encoding: o200k_base, input_usd_per_mtok: 0.15, output_usd_per_mtok: 0.60 }
          gpt-4o: { input_usd_per_mtok: 2.50, output_usd_per_mtok: 10.00 }
          gpt-4: { encoding: cl100k_base, input_usd_per_mtok: 30, output_usd_per_mtok: 60 }
          text-embedding-3-small: { input_usd_per_mtok: 0.02, output_usd_per_mtok: 0 }
        tiers:
          default:
            models: [gpt-4o-mini, gpt-4o, gpt-4, text-embedding-3-small]
            output_reserve_tokens: 256
            limits:
        %s
        routes: { unknown_path: deny }
        server: { grpc_port: 0, http_port: 0 }
        store: { type: %s, deadline_ms: 150, on_error: %s }
        """
        .formatted(
            sha256(SERVICE_KEY),
            sha256(SERVICE_KEY_2),
            sha256(SYSTEM_KEY),
            limitsYaml.indent(6).stripTrailing(),
            storeType,
            onError);
  }

  /** Parses YAML with the test environment ({@code UPSTREAM} = {@link #UPSTREAM_KEY}). */
  public static TollgateConfig parse(String yaml) {
    try {
      return ConfigLoader.parse(yaml, "test.yaml", Map.of("UPSTREAM", UPSTREAM_KEY));
    } catch (ConfigException e) {
      throw new AssertionError(
          "test config invalid:\n" + String.join("\n", e.errors()) + "\n" + yaml, e);
    }
  }

  /** Default limits used by most tests. */
  public static final String DEFAULT_LIMITS =
      """
      - { scope: user,   window: 5m,    tokens: 20000 }
      - { scope: user,   window: 1d,    tokens: 200000 }
      - { scope: user,   window: month, usd: 5.00 }
      - { scope: global, window: 1m,    tokens: 250000 }
      """;
}
