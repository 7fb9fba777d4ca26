package dev.tollgate.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads Tollgate's YAML configuration into {@link TollgateConfig}. Unknown keys are errors; every
 * error names the file, the key path and what was expected; all errors are reported together.
 * {@code ${NAME}} and {@code ${NAME:-default}} expand environment variables in string values;
 * secrets come from {@code *_file}, {@code *_env} or inline values and never appear in an error.
 * Each section has its reader, which declares the keys it reads; defaults live on the records.
 */
public final class ConfigLoader {
  /**
   * Every key the loader accepts, by section ({@code NAME} stands for a model or tier name, {@code
   * []} for list items), as the readers declare them. The README's configuration reference is
   * tested against it.
   */
  public static final Map<String, Set<String>> SCHEMA =
      schema(
          Stream.of(
                  UpstreamReader.KEYS,
                  KeysReader.KEYS,
                  IdentityReader.KEYS,
                  ModelsReader.KEYS,
                  TiersReader.KEYS,
                  RoutesReader.KEYS,
                  ServerReader.KEYS,
                  StoreReader.KEYS,
                  AccountingReader.KEYS,
                  RequestReader.KEYS,
                  AlertsReader.KEYS)
              .flatMap(List::stream)
              .toList());

  /** The top level: the sections and keys the readers read from it. */
  private static final SectionKeys TOP_LEVEL = new SectionKeys("", SCHEMA.get(""));

  private ConfigLoader() {}

  private static Map<String, Set<String>> schema(List<SectionKeys> declared) {
    Map<String, Set<String>> m = new LinkedHashMap<>();
    for (SectionKeys s : declared) {
      m.computeIfAbsent(s.path(), p -> new HashSet<>()).addAll(s.keys());
    }
    m.replaceAll((p, keys) -> Set.copyOf(keys));
    return Collections.unmodifiableMap(m);
  }

  /**
   * Reads a file, with the process environment; relative {@code *_file} paths are relative to it.
   */
  public static TollgateConfig load(Path path) throws ConfigException {
    return loadTracked(path, System.getenv()).config();
  }

  /**
   * A configuration and the files it was read from.
   *
   * @param config the configuration
   * @param files the configuration file first, then every file it reads ({@code keys_file}, the
   *     secrets' {@code *_file}), as named (symbolic links not followed)
   */
  public record Loaded(TollgateConfig config, List<Path> files) {
    public Loaded {
      files = List.copyOf(files);
    }
  }

  /**
   * Reads a file with this environment, and names the files read: what a reload watches. Relative
   * {@code *_file} paths are relative to the file.
   */
  public static Loaded loadTracked(Path path, Map<String, String> env) throws ConfigException {
    String text;
    try {
      text = Files.readString(path, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException(
          List.of(path + ": cannot read the file (" + e.getClass().getSimpleName() + ")"));
    }
    Path dir = path.toAbsolutePath().getParent();
    Reading r = new Reading(path.toString(), env, dir, true);
    TollgateConfig config = read(r, path.toString(), text, path);
    List<Path> files = new java.util.ArrayList<>();
    files.add(path);
    files.addAll(r.inputs());
    return new Loaded(config, files);
  }

  /**
   * Parses YAML text; {@code fileName} is used in messages; relative paths resolve from the working
   * directory.
   */
  public static TollgateConfig parse(String yaml, String fileName, Map<String, String> env)
      throws ConfigException {
    return read(new Reading(fileName, env, Path.of("").toAbsolutePath()), fileName, yaml, null);
  }

  /**
   * Reads {@code yaml} in {@code r}; {@code file} names it in errors the reading cannot hold
   * (syntax, empty).
   */
  static TollgateConfig read(Reading r, String file, String yaml, Path source)
      throws ConfigException {
    JsonNode root;
    try {
      root = YamlText.parse(yaml);
    } catch (YamlText.Invalid e) {
      throw new ConfigException(List.of(file + ": " + e.getMessage()));
    }
    if (root == null || root.isNull() || root.isMissingNode()) {
      throw new ConfigException(
          List.of(
              file
                  + ": the file is empty (expected: a YAML mapping with upstream, keys, models, tiers)"));
    }
    if (!root.isObject()) {
      throw new ConfigException(
          List.of(file + ": top level is a " + Reading.kind(root) + " (expected: a mapping)"));
    }
    Section top = r.section(root, "", TOP_LEVEL, true);
    UpstreamConfig upstream = UpstreamReader.read(top);
    Map<String, ModelConfig> models = ModelsReader.read(top);
    Map<String, TierConfig> tiers = TiersReader.read(top, models);
    List<ServiceKeyConfig> keys = KeysReader.read(top, tiers);
    IdentityConfig identity = IdentityReader.read(top);
    RoutesConfig routes = RoutesReader.read(top, tiers);
    ServerConfig server = ServerReader.read(top);
    StoreConfig store = StoreReader.read(top);
    AccountingConfig accounting = AccountingReader.read(top);
    RequestConfig request = RequestReader.read(top);
    AlertsConfig alerts = AlertsReader.read(top);
    if (!r.errors().isEmpty()) {
      throw new ConfigException(r.errors());
    }
    return new TollgateConfig(
        source,
        upstream,
        keys,
        identity,
        models,
        tiers,
        routes,
        server,
        store,
        accounting,
        request,
        alerts);
  }
}
