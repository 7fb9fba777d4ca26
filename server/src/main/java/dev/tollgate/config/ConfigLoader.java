package dev.tollgate.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.Money;
import dev.tollgate.quota.Scope;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.Window;
import dev.tollgate.tokens.Encodings;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads Tollgate's YAML configuration into {@link TollgateConfig}. Unknown keys are errors;
 * every error names the file, the key path and what was expected; all errors are reported
 * together. {@code ${NAME}} and {@code ${NAME:-default}} expand environment variables in string
 * values; secrets come from {@code *_file}, {@code *_env} or inline values and never appear in
 * an error.
 */
public final class ConfigLoader {
  private static final Pattern ENV = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?}");
  private static final Pattern DURATION = Pattern.compile("([0-9]+)(ms|s|m|h)");
  private static final Pattern HOST_PORT = Pattern.compile("[A-Za-z0-9.\\-]+:[0-9]{1,5}|\\[[0-9a-fA-F:]+]:[0-9]{1,5}");
  /** Default inbound gRPC message limit: Envoy's 8 MiB body plus headroom. */
  public static final int DEFAULT_MAX_INBOUND = 8 * 1024 * 1024 + 256 * 1024;

  /**
   * Every key the loader accepts, by section ({@code NAME} stands for a model or tier name,
   * {@code []} for list items). The README's configuration reference is tested against it.
   */
  public static final Map<String, Set<String>> SCHEMA = schema();

  private static Map<String, Set<String>> schema() {
    Map<String, Set<String>> m = new LinkedHashMap<>();
    m.put("", Set.of("upstream", "keys", "keys_file", "identity", "models", "tiers", "routes", "server", "store",
        "accounting", "request"));
    m.put("upstream", Set.of("api_key", "api_key_env", "api_key_file", "injected_by"));
    m.put("keys[]", Set.of("name", "sha256", "tier", "role"));
    m.put("identity", Set.of("sources", "fallback", "conversation_sources", "assertion"));
    m.put("identity.assertion", Set.of("header", "keys", "max_ttl", "required"));
    m.put("models.NAME", Set.of("encoding", "input_usd_per_mtok", "cached_input_usd_per_mtok", "output_usd_per_mtok"));
    m.put("tiers.NAME", Set.of("models", "output_reserve_tokens", "limits"));
    m.put("tiers.NAME.limits[]", Set.of("scope", "window", "tokens", "usd"));
    m.put("routes", Set.of("unknown_path"));
    m.put("server", Set.of("grpc_port", "http_port", "max_inbound_message_bytes", "permit_keepalive_time",
        "shutdown_grace", "grpc_address", "http_address", "tls"));
    m.put("server.tls", Set.of("cert_file", "key_file", "client_ca_file"));
    m.put("store", Set.of("type", "hazelcast", "deadline_ms", "on_error"));
    m.put("store.hazelcast", Set.of("mode", "cluster_name", "port", "members", "multicast", "kubernetes", "backups",
        "interface", "min_cluster_size"));
    m.put("store.hazelcast.kubernetes", Set.of("service_dns", "namespace", "service_name"));
    m.put("accounting", Set.of("add_include_usage", "ticket_keys", "pending_ttl", "pending_expiry", "missing_usage"));
    m.put("request", Set.of("partial_body"));
    return java.util.Collections.unmodifiableMap(m);
  }

  private final String file;
  private final Map<String, String> env;
  private final Path baseDir;
  private final List<String> errors = new ArrayList<>();

  private ConfigLoader(String file, Map<String, String> env, Path baseDir) {
    this.file = file;
    this.env = env;
    this.baseDir = baseDir;
  }

  /** Reads a file, with the process environment; relative {@code *_file} paths are relative to it. */
  public static TollgateConfig load(Path path) throws ConfigException {
    String text;
    try {
      text = Files.readString(path, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException(List.of(path + ": cannot read the file (" + e.getClass().getSimpleName() + ")"));
    }
    Path dir = path.toAbsolutePath().getParent();
    return new ConfigLoader(path.toString(), System.getenv(), dir).read(text, path);
  }

  /** Parses YAML text; {@code fileName} is used in messages; relative paths resolve from the working directory. */
  public static TollgateConfig parse(String yaml, String fileName, Map<String, String> env) throws ConfigException {
    return new ConfigLoader(fileName, env, Path.of("").toAbsolutePath()).read(yaml, null);
  }

  private TollgateConfig read(String yaml, Path source) throws ConfigException {
    JsonNode root;
    try {
      root = YamlText.parse(yaml);
    } catch (YamlText.Invalid e) {
      throw new ConfigException(List.of(file + ": " + e.getMessage()));
    }
    if (root == null || root.isNull() || root.isMissingNode()) {
      throw new ConfigException(List.of(file + ": the file is empty (expected: a YAML mapping with upstream, keys, models, tiers)"));
    }
    if (!root.isObject()) {
      throw new ConfigException(List.of(file + ": top level is a " + kind(root) + " (expected: a mapping)"));
    }
    known(root, "", SCHEMA.get(""));
    UpstreamConfig upstream = upstream(root.get("upstream"));
    Map<String, ModelConfig> models = models(root.get("models"));
    Map<String, TierConfig> tiers = tiers(root.get("tiers"), models);
    List<ServiceKeyConfig> keys = keys(root, tiers);
    IdentityConfig identity = identity(root.get("identity"));
    RoutesConfig routes = routes(root.get("routes"));
    ServerConfig server = server(root.get("server"));
    StoreConfig store = store(root.get("store"));
    AccountingConfig accounting = accounting(root.get("accounting"));
    RequestConfig request = request(root.get("request"));
    if (!errors.isEmpty()) {
      throw new ConfigException(errors);
    }
    return new TollgateConfig(source, upstream, keys, identity, models, tiers, routes, server, store, accounting,
        request);
  }

  // ---- sections -------------------------------------------------------------------------------

  private UpstreamConfig upstream(JsonNode n) {
    if (!object(n, "upstream", true)) {
      return new UpstreamConfig(null);
    }
    known(n, "upstream", SCHEMA.get("upstream"));
    UpstreamConfig.InjectedBy by = UpstreamConfig.InjectedBy.TOLLGATE;
    if (n.has("injected_by")) {
      String v = string(n.get("injected_by"), "upstream.injected_by");
      if ("envoy".equals(v)) {
        by = UpstreamConfig.InjectedBy.ENVOY;
      } else if (v != null && !"tollgate".equals(v)) {
        error("upstream.injected_by", "'" + v + "' (expected: tollgate or envoy)");
      }
    }
    if (by == UpstreamConfig.InjectedBy.ENVOY) {
      for (String k : List.of("api_key", "api_key_env", "api_key_file")) {
        if (n.has(k)) {
          error("upstream." + k, "set with injected_by: envoy (expected: no upstream key here; Envoy's "
              + "credential_injector holds it)");
        }
      }
      return UpstreamConfig.injectedByEnvoy();
    }
    Secret s = secret(n, "upstream", "api_key", true);
    return new UpstreamConfig(s);
  }

  /** Exactly one of {@code NAME}, {@code NAME_env}, {@code NAME_file}. */
  private Secret secret(JsonNode parent, String path, String name, boolean required) {
    int given = (parent.has(name) ? 1 : 0) + (parent.has(name + "_env") ? 1 : 0) + (parent.has(name + "_file") ? 1 : 0);
    if (given == 0) {
      if (required) {
        error(path, "no " + name + " (expected: one of " + name + ", " + name + "_env, " + name + "_file)");
      }
      return null;
    }
    if (given > 1) {
      error(path, "more than one of " + name + ", " + name + "_env, " + name + "_file (expected: exactly one)");
      return null;
    }
    if (parent.has(name)) {
      JsonNode v = parent.get(name);
      if (!v.isTextual()) {
        error(path + "." + name, "a " + kind(v) + " (expected: a string, e.g. \"${OPENAI_API_KEY}\")");
        return null;
      }
      String value = expandSecret(v.asText(), path + "." + name);
      return value == null ? null : new Secret(value, "inline " + path + "." + name);
    }
    if (parent.has(name + "_env")) {
      String var = string(parent.get(name + "_env"), path + "." + name + "_env");
      if (var == null) {
        return null;
      }
      String value = env.get(var);
      if (value == null) {
        error(path + "." + name + "_env", "environment variable " + var + " is not set (expected: the secret in " + var + ")");
        return null;
      }
      return new Secret(value.strip(), "env " + var);
    }
    String f = string(parent.get(name + "_file"), path + "." + name + "_file");
    if (f == null) {
      return null;
    }
    Path p = baseDir.resolve(f);
    try {
      return new Secret(Files.readString(p, StandardCharsets.UTF_8).strip(), "file " + f);
    } catch (IOException e) {
      error(path + "." + name + "_file", "cannot read " + f + " (expected: a readable file holding the secret)");
      return null;
    }
  }

  private Map<String, ModelConfig> models(JsonNode n) {
    Map<String, ModelConfig> out = new LinkedHashMap<>();
    if (!object(n, "models", true)) {
      return out;
    }
    Iterator<Map.Entry<String, JsonNode>> it = n.properties().iterator();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String path = "models." + e.getKey();
      JsonNode m = e.getValue();
      if (m == null || m.isNull()) {
        out.put(e.getKey(), new ModelConfig(e.getKey(), null, BigDecimal.ZERO, null, BigDecimal.ZERO));
        continue;
      }
      if (!object(m, path, true)) {
        continue;
      }
      known(m, path, SCHEMA.get("models.NAME"));
      String enc = m.has("encoding") ? string(m.get("encoding"), path + ".encoding") : null;
      if (enc != null && !Encodings.isKnownEncodingName(enc)) {
        error(path + ".encoding", "'" + enc + "' (expected: one of " + Encodings.knownEncodingNames() + ")");
      }
      BigDecimal in = price(m, "input_usd_per_mtok", path, BigDecimal.ZERO);
      BigDecimal cached = price(m, "cached_input_usd_per_mtok", path, null);
      BigDecimal outp = price(m, "output_usd_per_mtok", path, BigDecimal.ZERO);
      out.put(e.getKey(), new ModelConfig(e.getKey(), enc, in, cached, outp));
    }
    if (out.isEmpty()) {
      error("models", "empty (expected: at least one model)");
    }
    return out;
  }

  private BigDecimal price(JsonNode m, String key, String path, BigDecimal def) {
    if (!m.has(key) || m.get(key).isNull()) {
      return def;
    }
    BigDecimal v = decimal(m.get(key), path + "." + key);
    if (v != null && v.signum() < 0) {
      error(path + "." + key, v.toPlainString() + " (expected: >= 0)");
      return def;
    }
    return v == null ? def : v;
  }

  private Map<String, TierConfig> tiers(JsonNode n, Map<String, ModelConfig> models) {
    Map<String, TierConfig> out = new LinkedHashMap<>();
    if (!object(n, "tiers", true)) {
      return out;
    }
    Iterator<Map.Entry<String, JsonNode>> it = n.properties().iterator();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String path = "tiers." + e.getKey();
      JsonNode t = e.getValue();
      if (!object(t, path, true)) {
        continue;
      }
      known(t, path, SCHEMA.get("tiers.NAME"));
      List<String> ms = stringList(t.get("models"), path + ".models", true);
      for (int i = 0; i < ms.size(); i++) {
        if (!models.containsKey(ms.get(i))) {
          error(path + ".models[" + i + "]", "'" + ms.get(i) + "' is not in models (expected: one of "
              + models.keySet() + ")");
        }
      }
      int reserve = t.has("output_reserve_tokens")
          ? (int) integer(t.get("output_reserve_tokens"), path + ".output_reserve_tokens", 0, 1_000_000, 256)
          : 256;
      List<LimitConfig> limits = new ArrayList<>();
      JsonNode ls = t.get("limits");
      if (ls != null && !ls.isNull()) {
        if (!ls.isArray()) {
          error(path + ".limits", "a " + kind(ls) + " (expected: a list of { scope, window, tokens | usd })");
        } else {
          Set<String> seen = new HashSet<>();
          for (int i = 0; i < ls.size(); i++) {
            LimitConfig l = limit(ls.get(i), path + ".limits[" + i + "]");
            if (l != null) {
              String id = l.scope() + "/" + l.limit().window().name() + "/" + l.limit().unit();
              if (!seen.add(id)) {
                error(path + ".limits[" + i + "]", "a second " + l.scope().configName() + " limit on window "
                    + l.limit().window().name() + " in " + (l.limit().unit() == Unit.TOKENS ? "tokens" : "usd")
                    + " (expected: one limit per scope, window and unit)");
              }
              limits.add(l);
            }
          }
        }
      }
      out.put(e.getKey(), new TierConfig(e.getKey(), ms, reserve, limits));
    }
    if (out.isEmpty()) {
      error("tiers", "empty (expected: at least one tier)");
    }
    return out;
  }

  private LimitConfig limit(JsonNode n, String path) {
    if (!object(n, path, true)) {
      return null;
    }
    known(n, path, SCHEMA.get("tiers.NAME.limits[]"));
    String scopeName = required(n, "scope", path);
    Scope scope = scopeName == null ? null : Scope.fromConfigName(scopeName);
    if (scopeName != null && scope == null) {
      error(path + ".scope", "'" + scopeName + "' (expected: user, conversation, key or global)");
    }
    String windowName = required(n, "window", path);
    Window window = null;
    if (windowName != null) {
      try {
        window = Window.parse(windowName);
      } catch (IllegalArgumentException e) {
        error(path + ".window", e.getMessage().replaceFirst("^window: ", ""));
      }
    }
    boolean hasTokens = n.has("tokens");
    boolean hasUsd = n.has("usd");
    if (hasTokens == hasUsd) {
      error(path, hasTokens ? "both tokens and usd (expected: exactly one of tokens, usd)"
          : "neither tokens nor usd (expected: exactly one of tokens, usd)");
      return null;
    }
    long max;
    Unit unit;
    if (hasTokens) {
      max = integer(n.get("tokens"), path + ".tokens", 1, Long.MAX_VALUE / 4, -1);
      unit = Unit.TOKENS;
    } else {
      BigDecimal usd = decimal(n.get("usd"), path + ".usd");
      if (usd != null && usd.signum() <= 0) {
        error(path + ".usd", usd.toPlainString() + " (expected: > 0)");
        usd = null;
      }
      max = usd == null ? -1 : Money.toNanoUsd(usd);
      unit = Unit.NANO_USD;
    }
    if (scope == null || window == null || max <= 0) {
      return null;
    }
    return new LimitConfig(scope, new Limit(window, unit, max));
  }

  private List<ServiceKeyConfig> keys(JsonNode root, Map<String, TierConfig> tiers) {
    List<ServiceKeyConfig> out = new ArrayList<>();
    JsonNode ks = root.get("keys");
    if (ks != null && !ks.isNull()) {
      if (!ks.isArray()) {
        error("keys", "a " + kind(ks) + " (expected: a list of { name, sha256, tier, role })");
      } else {
        for (int i = 0; i < ks.size(); i++) {
          ServiceKeyConfig k = key(ks.get(i), "keys[" + i + "]", tiers);
          if (k != null) {
            out.add(k);
          }
        }
      }
    }
    if (root.has("keys_file")) {
      String f = string(root.get("keys_file"), "keys_file");
      if (f != null) {
        Path p = baseDir.resolve(f);
        try {
          JsonNode list = YamlText.parse(Files.readString(p, StandardCharsets.UTF_8));
          if (list == null || !list.isArray()) {
            error("keys_file", f + " does not hold a list (expected: a YAML list of { name, sha256, tier, role })");
          } else {
            for (int i = 0; i < list.size(); i++) {
              ServiceKeyConfig k = key(list.get(i), "keys_file[" + i + "]", tiers);
              if (k != null) {
                out.add(k);
              }
            }
          }
        } catch (YamlText.Invalid e) {
          error("keys_file", f + ": " + e.getMessage());
        } catch (IOException e) {
          error("keys_file", "cannot read " + f + " (expected: a readable YAML list of keys)");
        }
      }
    }
    Set<String> names = new HashSet<>();
    Set<String> hashes = new HashSet<>();
    for (ServiceKeyConfig k : out) {
      if (!names.add(k.name())) {
        error("keys", "the name '" + k.name() + "' is used twice (expected: unique key names)");
      }
      if (!hashes.add(HexFormat.of().formatHex(k.sha256()))) {
        error("keys", "key '" + k.name() + "' repeats another key's sha256 (expected: unique keys)");
      }
    }
    if (out.isEmpty() && errors.stream().noneMatch(e -> e.contains(": keys"))) {
      error("keys", "no service keys (expected: at least one { name, sha256, tier, role })");
    }
    return out;
  }

  private ServiceKeyConfig key(JsonNode n, String path, Map<String, TierConfig> tiers) {
    if (!object(n, path, true)) {
      return null;
    }
    known(n, path, SCHEMA.get("keys[]"));
    String name = required(n, "name", path);
    String hex = required(n, "sha256", path);
    String tier = n.has("tier") ? string(n.get("tier"), path + ".tier") : "default";
    String roleName = n.has("role") ? string(n.get("role"), path + ".role") : "service";
    byte[] sha = null;
    if (hex != null) {
      if (!hex.matches("[0-9a-fA-F]{64}")) {
        error(path + ".sha256", "not 64 hex digits (expected: the output of printf %s 'KEY' | sha256sum)");
      } else {
        sha = HexFormat.of().parseHex(hex.toLowerCase(Locale.ROOT));
      }
    }
    if (tier != null && !tiers.containsKey(tier)) {
      error(path + ".tier", "'" + tier + "' (expected: one of " + tiers.keySet() + ")");
      tier = null;
    }
    Role role = null;
    if (roleName != null) {
      try {
        role = Role.valueOf(roleName.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        error(path + ".role", "'" + roleName + "' (expected: service, system or admin)");
      }
    }
    if (name == null || sha == null || tier == null || role == null) {
      return null;
    }
    return new ServiceKeyConfig(name, sha, tier, role);
  }

  private IdentityConfig identity(JsonNode n) {
    // verified sources before what any client can send
    List<IdentitySource> defaults = List.of(new IdentitySource.JwtClaim("sub"),
        new IdentitySource.Header("x-on-behalf-of"), new IdentitySource.Header("openai-ephemeral-user-id"));
    List<IdentitySource> convDefaults = List.of(new IdentitySource.Header("openai-conversation-id"));
    if (n == null || n.isNull()) {
      return new IdentityConfig(defaults, "anonymous", convDefaults, null);
    }
    if (!object(n, "identity", true)) {
      return new IdentityConfig(defaults, "anonymous", convDefaults, null);
    }
    known(n, "identity", SCHEMA.get("identity"));
    List<IdentitySource> sources = n.has("sources") ? sources(n.get("sources"), "identity.sources") : defaults;
    List<IdentitySource> conv = n.has("conversation_sources")
        ? sources(n.get("conversation_sources"), "identity.conversation_sources") : convDefaults;
    String fallback = "anonymous";
    if (n.has("fallback")) {
      JsonNode f = n.get("fallback");
      fallback = f.isNull() ? null : string(f, "identity.fallback");
      if (fallback != null && (fallback.isEmpty() || fallback.length() > 256)) {
        error("identity.fallback", "'" + fallback + "' (expected: 1..256 characters, or null to refuse)");
      }
    }
    AssertionConfig assertion = null;
    JsonNode a = n.get("assertion");
    if (a != null && !a.isNull() && object(a, "identity.assertion", true)) {
      known(a, "identity.assertion", SCHEMA.get("identity.assertion"));
      String header = a.has("header") ? string(a.get("header"), "identity.assertion.header") : "x-tollgate-assertion";
      List<Secret> keys = new ArrayList<>();
      JsonNode ks = a.get("keys");
      if (ks == null || !ks.isArray() || ks.isEmpty()) {
        error("identity.assertion.keys", "missing or empty (expected: a list of 1 or 2 HMAC keys, e.g. [\"${ASSERTION_KEY}\"])");
      } else {
        for (int i = 0; i < ks.size(); i++) {
          String p = "identity.assertion.keys[" + i + "]";
          if (!ks.get(i).isTextual()) {
            error(p, "a " + kind(ks.get(i)) + " (expected: a string)");
            continue;
          }
          String v = expandSecret(ks.get(i).asText(), p);
          if (v != null && v.length() < 16) {
            error(p, "too short (expected: at least 16 characters)");
          } else if (v != null) {
            keys.add(new Secret(v, p));
          }
        }
      }
      Duration ttl = a.has("max_ttl") ? duration(a.get("max_ttl"), "identity.assertion.max_ttl") : Duration.ofMinutes(5);
      boolean required = a.has("required") && bool(a.get("required"), "identity.assertion.required");
      if (header != null && !keys.isEmpty() && ttl != null) {
        assertion = new AssertionConfig(header.toLowerCase(Locale.ROOT), keys, ttl, required);
      }
    }
    return new IdentityConfig(sources, fallback, conv, assertion);
  }

  private List<IdentitySource> sources(JsonNode n, String path) {
    List<IdentitySource> out = new ArrayList<>();
    List<String> names = stringList(n, path, false);
    for (int i = 0; i < names.size(); i++) {
      try {
        out.add(IdentitySource.parse(names.get(i)));
      } catch (IllegalArgumentException e) {
        error(path + "[" + i + "]", e.getMessage());
      }
    }
    return out;
  }

  private RoutesConfig routes(JsonNode n) {
    if (n == null || n.isNull() || !object(n, "routes", false)) {
      return new RoutesConfig(RoutesConfig.UnknownPath.DENY);
    }
    known(n, "routes", SCHEMA.get("routes"));
    String v = n.has("unknown_path") ? string(n.get("unknown_path"), "routes.unknown_path") : "deny";
    if ("allow".equals(v)) {
      return new RoutesConfig(RoutesConfig.UnknownPath.ALLOW);
    }
    if (v != null && !"deny".equals(v)) {
      error("routes.unknown_path", "'" + v + "' (expected: deny or allow)");
    }
    return new RoutesConfig(RoutesConfig.UnknownPath.DENY);
  }

  private ServerConfig server(JsonNode n) {
    ServerConfig def = new ServerConfig(50051, 8081, DEFAULT_MAX_INBOUND, Duration.ofSeconds(10), Duration.ofSeconds(10));
    if (n == null || n.isNull() || !object(n, "server", false)) {
      return def;
    }
    known(n, "server", SCHEMA.get("server"));
    int grpc = n.has("grpc_port") ? (int) integer(n.get("grpc_port"), "server.grpc_port", 0, 65535, 50051) : 50051;
    int http = n.has("http_port") ? (int) integer(n.get("http_port"), "server.http_port", -1, 65535, 8081) : 8081;
    int max = n.has("max_inbound_message_bytes")
        ? (int) integer(n.get("max_inbound_message_bytes"), "server.max_inbound_message_bytes", 1 << 20,
            256 << 20, DEFAULT_MAX_INBOUND) : DEFAULT_MAX_INBOUND;
    Duration keep = Duration.ofSeconds(10);
    if (n.has("permit_keepalive_time")) {
      Duration d = duration(n.get("permit_keepalive_time"), "server.permit_keepalive_time");
      if (d != null && (d.isZero() || d.compareTo(Duration.ofSeconds(10)) > 0)) {
        error("server.permit_keepalive_time", n.get("permit_keepalive_time").asText()
            + " (expected: > 0 and <= 10s, so Envoy's keepalive pings are accepted)");
      } else if (d != null) {
        keep = d;
      }
    }
    Duration grace = n.has("shutdown_grace") ? duration(n.get("shutdown_grace"), "server.shutdown_grace") : null;
    String grpcAddress = n.has("grpc_address") ? address(n.get("grpc_address"), "server.grpc_address") : null;
    String httpAddress = n.has("http_address") ? address(n.get("http_address"), "server.http_address") : null;
    ServerConfig.Tls tls = n.has("tls") ? tls(n.get("tls")) : null;
    return new ServerConfig(grpc, http, max, keep, grace == null ? Duration.ofSeconds(10) : grace,
        grpcAddress == null ? ServerConfig.ANY_ADDRESS : grpcAddress, httpAddress == null ? ServerConfig.ANY_ADDRESS : httpAddress,
        tls);
  }

  /** {@code server.tls}: every file named must be readable now (its contents are never printed). */
  private ServerConfig.Tls tls(JsonNode n) {
    if (!object(n, "server.tls", false)) {
      return null;
    }
    known(n, "server.tls", SCHEMA.get("server.tls"));
    Path cert = readableFile(n, "server.tls", "cert_file", true, "the server certificate chain, PEM");
    Path key = readableFile(n, "server.tls", "key_file", true, "the server private key, PEM (PKCS#8)");
    Path ca = readableFile(n, "server.tls", "client_ca_file", false, "the CA certificates client certificates must chain to, PEM");
    return cert == null || key == null ? null : new ServerConfig.Tls(cert, key, ca);
  }

  private Path readableFile(JsonNode parent, String path, String name, boolean required, String what) {
    if (!parent.has(name)) {
      if (required) {
        error(path, "no " + name + " (expected: " + what + ")");
      }
      return null;
    }
    String f = string(parent.get(name), path + "." + name);
    if (f == null) {
      return null;
    }
    Path p = baseDir.resolve(f);
    if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
      error(path + "." + name, "cannot read " + f + " (expected: a readable file: " + what + ")");
      return null;
    }
    return p;
  }

  private StoreConfig store(JsonNode n) {
    StoreConfig.HazelcastConfig hzDefault = new StoreConfig.HazelcastConfig(StoreConfig.Mode.EMBEDDED, "tollgate",
        5701, List.of(), false, null, 1);
    if (n == null || n.isNull() || !object(n, "store", false)) {
      return new StoreConfig(StoreConfig.Kind.HAZELCAST, hzDefault, Duration.ofMillis(150), StoreConfig.OnError.DENY);
    }
    known(n, "store", SCHEMA.get("store"));
    StoreConfig.Kind kind = StoreConfig.Kind.HAZELCAST;
    if (n.has("type")) {
      String t = string(n.get("type"), "store.type");
      if ("memory".equals(t)) {
        kind = StoreConfig.Kind.MEMORY;
      } else if (t != null && !"hazelcast".equals(t)) {
        error("store.type", "'" + t + "' (expected: memory or hazelcast)");
      }
    }
    long deadline = n.has("deadline_ms") ? integer(n.get("deadline_ms"), "store.deadline_ms", 1, 10_000, 150) : 150;
    StoreConfig.OnError onError = StoreConfig.OnError.DENY;
    if (n.has("on_error")) {
      String v = string(n.get("on_error"), "store.on_error");
      if ("allow".equals(v)) {
        onError = StoreConfig.OnError.ALLOW;
      } else if (v != null && !"deny".equals(v)) {
        error("store.on_error", "'" + v + "' (expected: deny or allow)");
      }
    }
    StoreConfig.HazelcastConfig hz = hzDefault;
    JsonNode h = n.get("hazelcast");
    if (h != null && !h.isNull() && object(h, "store.hazelcast", true)) {
      known(h, "store.hazelcast", SCHEMA.get("store.hazelcast"));
      StoreConfig.Mode mode = StoreConfig.Mode.EMBEDDED;
      if (h.has("mode")) {
        String m = string(h.get("mode"), "store.hazelcast.mode");
        if ("client".equals(m)) {
          mode = StoreConfig.Mode.CLIENT;
        } else if (m != null && !"embedded".equals(m)) {
          error("store.hazelcast.mode", "'" + m + "' (expected: embedded or client)");
        }
      }
      String cluster = h.has("cluster_name") ? string(h.get("cluster_name"), "store.hazelcast.cluster_name") : "tollgate";
      int port = h.has("port") ? (int) integer(h.get("port"), "store.hazelcast.port", 1, 65535, 5701) : 5701;
      List<String> members = h.has("members") ? stringList(h.get("members"), "store.hazelcast.members", false) : List.of();
      for (int i = 0; i < members.size(); i++) {
        if (!HOST_PORT.matcher(members.get(i)).matches()) {
          error("store.hazelcast.members[" + i + "]", "'" + members.get(i) + "' (expected: host:port)");
        }
      }
      boolean multicast = h.has("multicast") && bool(h.get("multicast"), "store.hazelcast.multicast");
      StoreConfig.KubernetesConfig k8s = null;
      JsonNode k = h.get("kubernetes");
      if (k != null && !k.isNull() && object(k, "store.hazelcast.kubernetes", true)) {
        known(k, "store.hazelcast.kubernetes", SCHEMA.get("store.hazelcast.kubernetes"));
        String dns = k.has("service_dns") ? string(k.get("service_dns"), "store.hazelcast.kubernetes.service_dns") : null;
        String ns = k.has("namespace") ? string(k.get("namespace"), "store.hazelcast.kubernetes.namespace") : null;
        String svc = k.has("service_name") ? string(k.get("service_name"), "store.hazelcast.kubernetes.service_name") : null;
        if (dns != null && (ns != null || svc != null)) {
          error("store.hazelcast.kubernetes", "both service_dns and namespace/service_name (expected: DNS lookup "
              + "or the Kubernetes API, not both)");
        }
        k8s = new StoreConfig.KubernetesConfig(dns, ns, svc);
      }
      int backups = h.has("backups") ? (int) integer(h.get("backups"), "store.hazelcast.backups", 0, 6, 1) : 1;
      String bind = h.has("interface") ? bindInterface(h.get("interface"), "store.hazelcast.interface") : null;
      if (bind != null && mode == StoreConfig.Mode.CLIENT) {
        error("store.hazelcast.interface", "set with mode: client (expected: only for an embedded member; a client"
            + " does not listen, fence the cluster it connects to instead)");
      }
      int minSize = h.has("min_cluster_size")
          ? (int) integer(h.get("min_cluster_size"), "store.hazelcast.min_cluster_size", 1, 100, 1) : 1;
      if (minSize > 1 && mode == StoreConfig.Mode.CLIENT) {
        error("store.hazelcast.min_cluster_size", "set with mode: client (expected: only for an embedded member)");
      }
      hz = new StoreConfig.HazelcastConfig(mode, cluster == null ? "tollgate" : cluster, port, members, multicast,
          k8s, backups, bind, minSize);
    }
    return new StoreConfig(kind, hz, Duration.ofMillis(deadline), onError);
  }

  private AccountingConfig accounting(JsonNode n) {
    AccountingConfig d = AccountingConfig.DEFAULTS;
    if (n == null || n.isNull() || !object(n, "accounting", false)) {
      return d;
    }
    known(n, "accounting", SCHEMA.get("accounting"));
    boolean includeUsage = !n.has("add_include_usage") || bool(n.get("add_include_usage"), "accounting.add_include_usage");
    List<Secret> ticketKeys = new ArrayList<>();
    JsonNode ks = n.get("ticket_keys");
    if (ks != null && !ks.isNull()) {
      if (!ks.isArray() || ks.isEmpty() || ks.size() > 2) {
        error("accounting.ticket_keys", "a " + kind(ks) + " (expected: a list of 1 or 2 keys, e.g. [\"${TICKET_KEY}\"])");
      } else {
        for (int i = 0; i < ks.size(); i++) {
          String p = "accounting.ticket_keys[" + i + "]";
          if (!ks.get(i).isTextual()) {
            error(p, "a " + kind(ks.get(i)) + " (expected: a string)");
            continue;
          }
          String v = expandSecret(ks.get(i).asText(), p);
          if (v != null && v.length() < 32) {
            error(p, "too short (expected: at least 32 characters, e.g. from: openssl rand -base64 32)");
          } else if (v != null) {
            ticketKeys.add(new Secret(v, p));
          }
        }
      }
    }
    Duration ttl = d.pendingTtl();
    if (n.has("pending_ttl")) {
      Duration t = duration(n.get("pending_ttl"), "accounting.pending_ttl");
      if (t != null && t.compareTo(Duration.ofMinutes(1)) < 0) {
        error("accounting.pending_ttl", t.toSeconds() + "s (expected: at least 1m, above the longest response)");
      } else if (t != null) {
        ttl = t;
      }
    }
    AccountingConfig.PendingExpiry expiry = n.has("pending_expiry")
        ? choice(n.get("pending_expiry"), "accounting.pending_expiry", AccountingConfig.PendingExpiry.class, d.pendingExpiry())
        : d.pendingExpiry();
    AccountingConfig.MissingUsage missing = n.has("missing_usage")
        ? choice(n.get("missing_usage"), "accounting.missing_usage", AccountingConfig.MissingUsage.class, d.missingUsage())
        : d.missingUsage();
    return new AccountingConfig(includeUsage, ticketKeys, ttl, expiry, missing);
  }

  /** One of an enum's values, written in lower case in the file. */
  private <E extends Enum<E>> E choice(JsonNode v, String path, Class<E> type, E def) {
    String text = string(v, path);
    if (text == null) {
      return def;
    }
    for (E e : type.getEnumConstants()) {
      if (e.name().toLowerCase(Locale.ROOT).equals(text)) {
        return e;
      }
    }
    List<String> names = new ArrayList<>();
    for (E e : type.getEnumConstants()) {
      names.add(e.name().toLowerCase(Locale.ROOT));
    }
    error(path, "'" + text + "' (expected: " + String.join(" | ", names) + ")");
    return def;
  }

  private RequestConfig request(JsonNode n) {
    if (n == null || n.isNull() || !object(n, "request", false)) {
      return RequestConfig.defaults();
    }
    known(n, "request", SCHEMA.get("request"));
    String v = n.has("partial_body") ? string(n.get("partial_body"), "request.partial_body") : "deny";
    if ("allow".equals(v)) {
      return new RequestConfig(RequestConfig.PartialBody.ALLOW);
    }
    if (v != null && !"deny".equals(v)) {
      error("request.partial_body", "'" + v + "' (expected: deny or allow)");
    }
    return RequestConfig.defaults();
  }

  // ---- typed readers --------------------------------------------------------------------------

  /** An address to listen on: an IP literal or a host name. */
  private String address(JsonNode v, String path) {
    String a = string(v, path);
    if (a == null) {
      return null;
    }
    a = a.strip();
    if (!Addresses.isIpLiteral(a) && !Addresses.isHostName(a)) {
      error(path, "'" + a + "' (expected: an IP literal such as 127.0.0.1, 0.0.0.0 or ::1, or a host name)");
      return null;
    }
    return a;
  }

  /** A Hazelcast interface: an IP literal or an IPv4 pattern with {@code *} or ranges ({@code 10.0.0.*}, {@code 10.0.1-9.*}). */
  private String bindInterface(JsonNode v, String path) {
    String a = string(v, path);
    if (a == null) {
      return null;
    }
    a = a.strip();
    if (!Addresses.isIpLiteral(a) && !Addresses.isIpv4Pattern(a)) {
      error(path, "'" + a + "' (expected: this member's IP address, e.g. \"${POD_IP}\", or a pattern such as 10.0.0.*;"
          + " 0.0.0.0 for every interface)");
      return null;
    }
    return a;
  }

  private void error(String path, String message) {
    errors.add(file + ": " + (path.isEmpty() ? "" : path + ": ") + message);
  }

  private boolean object(JsonNode n, String path, boolean required) {
    if (n == null || n.isNull() || n.isMissingNode()) {
      if (required) {
        error(path, "missing (expected: a mapping)");
      }
      return false;
    }
    if (!n.isObject()) {
      error(path, "a " + kind(n) + " (expected: a mapping)");
      return false;
    }
    return true;
  }

  private void known(JsonNode n, String path, Set<String> allowed) {
    Iterator<String> names = n.fieldNames();
    while (names.hasNext()) {
      String k = names.next();
      if (!allowed.contains(k)) {
        error(path.isEmpty() ? k : path + "." + k, "unknown key (expected: one of "
            + allowed.stream().sorted().toList() + ")");
      }
    }
  }

  private String required(JsonNode n, String key, String path) {
    if (!n.has(key) || n.get(key).isNull()) {
      error(path + "." + key, "missing (expected: a string)");
      return null;
    }
    return string(n.get(key), path + "." + key);
  }

  private String string(JsonNode v, String path) {
    if (v == null || v.isNull()) {
      error(path, "missing (expected: a string)");
      return null;
    }
    if (!v.isValueNode() || v.isBoolean()) {
      error(path, "a " + kind(v) + " (expected: a string)");
      return null;
    }
    return expand(v.asText(), path, false);
  }

  private List<String> stringList(JsonNode v, String path, boolean nonEmpty) {
    List<String> out = new ArrayList<>();
    if (v == null || v.isNull()) {
      if (nonEmpty) {
        error(path, "missing (expected: a non-empty list of strings)");
      }
      return out;
    }
    if (!v.isArray()) {
      error(path, "a " + kind(v) + " (expected: a list of strings)");
      return out;
    }
    for (int i = 0; i < v.size(); i++) {
      String s = string(v.get(i), path + "[" + i + "]");
      if (s != null) {
        out.add(s);
      }
    }
    if (nonEmpty && v.isEmpty()) {
      error(path, "empty (expected: a non-empty list of strings)");
    }
    return out;
  }

  private long integer(JsonNode v, String path, long min, long max, long def) {
    JsonNode x = v;
    if (v != null && v.isTextual()) {
      String t = expand(v.asText(), path, false);
      try {
        return check(Long.parseLong(t == null ? "" : t.strip()), path, min, max, def);
      } catch (NumberFormatException e) {
        error(path, "'" + v.asText() + "' (expected: an integer from " + min + " to " + max + ")");
        return def;
      }
    }
    if (x == null || !x.isIntegralNumber() || !x.canConvertToLong()) {
      error(path, (x == null ? "missing" : "a " + kind(x)) + " (expected: an integer from " + min + " to " + max + ")");
      return def;
    }
    return check(x.asLong(), path, min, max, def);
  }

  private long check(long value, String path, long min, long max, long def) {
    if (value < min || value > max) {
      error(path, value + " (expected: an integer from " + min + " to " + max + ")");
      return def;
    }
    return value;
  }

  private BigDecimal decimal(JsonNode v, String path) {
    if (v == null || v.isNull()) {
      error(path, "missing (expected: a number)");
      return null;
    }
    String text = v.isTextual() ? expand(v.asText(), path, false) : v.isNumber() ? v.asText() : null;
    if (text == null) {
      error(path, "a " + kind(v) + " (expected: a number)");
      return null;
    }
    try {
      return new BigDecimal(text.strip());
    } catch (NumberFormatException e) {
      error(path, "'" + text + "' (expected: a number)");
      return null;
    }
  }

  private boolean bool(JsonNode v, String path) {
    if (v.isBoolean()) {
      return v.asBoolean();
    }
    if (v.isTextual()) {
      String t = expand(v.asText(), path, false);
      if ("true".equals(t) || "false".equals(t)) {
        return Boolean.parseBoolean(t);
      }
    }
    error(path, "'" + v.asText() + "' (expected: true or false)");
    return false;
  }

  private Duration duration(JsonNode v, String path) {
    String t = v.isNumber() ? null : string(v, path);
    Matcher m = t == null ? null : DURATION.matcher(t.strip());
    if (m == null || !m.matches()) {
      error(path, "'" + v.asText() + "' (expected: a duration such as 500ms, 10s, 5m or 1h)");
      return null;
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      default -> Duration.ofHours(n);
    };
  }

  private String expandSecret(String text, String path) {
    return expand(text, path, true);
  }

  /** Expands ${NAME} and ${NAME:-default}; an unset variable without default is an error. */
  private String expand(String text, String path, boolean secret) {
    if (text.indexOf("${") < 0) {
      return text;
    }
    Matcher m = ENV.matcher(text);
    StringBuilder sb = new StringBuilder();
    boolean ok = true;
    while (m.find()) {
      String value = env.get(m.group(1));
      if (value == null) {
        value = m.group(2) != null ? m.group(3) : null;
      }
      if (value == null) {
        error(path, "environment variable " + m.group(1) + " is not set (expected: set it, or write ${"
            + m.group(1) + ":-default})");
        ok = false;
        value = "";
      }
      m.appendReplacement(sb, Matcher.quoteReplacement(secret ? value.strip() : value));
    }
    m.appendTail(sb);
    return ok ? sb.toString() : null;
  }

  private static String kind(JsonNode n) {
    if (n.isObject()) {
      return "mapping";
    }
    if (n.isArray()) {
      return "list";
    }
    if (n.isTextual()) {
      return "string";
    }
    if (n.isBoolean()) {
      return "boolean";
    }
    if (n.isNumber()) {
      return "number";
    }
    return n.getNodeType().name().toLowerCase(Locale.ROOT);
  }
}
