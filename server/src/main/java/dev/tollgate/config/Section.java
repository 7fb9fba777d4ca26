package dev.tollgate.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One YAML mapping being read. Its keys are those its reader declared ({@link SectionKeys}): any
 * other key in the file is reported as unknown when the section is opened, and reading a key the
 * reader did not declare is a programming error. It records the keys read.
 */
final class Section {
  private final Reading reading;
  private final JsonNode node;
  private final String path;
  private final SectionKeys keys;
  private final Set<String> read = new LinkedHashSet<>();

  Section(Reading reading, JsonNode node, String path, SectionKeys keys) {
    this.reading = reading;
    this.node = node;
    this.path = path;
    this.keys = keys;
    Iterator<String> names = node.fieldNames();
    while (names.hasNext()) {
      String k = names.next();
      if (!keys.keys().contains(k)) {
        reading.error(
            path(k),
            "unknown key (expected: one of " + keys.keys().stream().sorted().toList() + ")");
      }
    }
  }

  /** The reading this section belongs to. */
  Reading reading() {
    return reading;
  }

  /** Where it sits, e.g. {@code tiers.gold.limits[0]}. */
  String path() {
    return path;
  }

  /** The path of one of its keys. */
  String path(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /** The keys it may hold. */
  SectionKeys keys() {
    return keys;
  }

  /** The keys read so far (asked for, whether the file sets them or not). */
  Set<String> read() {
    return Set.copyOf(read);
  }

  /** Whether the file sets the key (to null included). */
  boolean has(String key) {
    return node.has(declared(key));
  }

  /** The key's node, or null when absent. */
  JsonNode get(String key) {
    return node.get(declared(key));
  }

  private String declared(String key) {
    if (!keys.keys().contains(key)) {
      throw new IllegalStateException(keys.path() + ": '" + key + "' is read but not declared");
    }
    read.add(key);
    return key;
  }

  void error(String message) {
    reading.error(path, message);
  }

  void error(String key, String message) {
    reading.error(path(key), message);
  }

  /** A nested mapping under {@code key}. */
  Section section(String key, SectionKeys nested, boolean required) {
    return reading.section(get(key), path(key), nested, required);
  }

  /** A string; {@code def} when absent; null (and an error) when not a string. */
  String string(String key, String def) {
    return has(key) ? reading.string(get(key), path(key)) : def;
  }

  /** A string that must be set. */
  String required(String key) {
    if (!has(key) || get(key).isNull()) {
      error(key, "missing (expected: a string)");
      return null;
    }
    return reading.string(get(key), path(key));
  }

  List<String> strings(String key, boolean nonEmpty) {
    return reading.stringList(get(key), path(key), nonEmpty);
  }

  long integer(String key, long min, long max, long def) {
    return has(key) ? reading.integer(get(key), path(key), min, max, def) : def;
  }

  boolean bool(String key, boolean def) {
    return has(key) ? reading.bool(get(key), path(key)) : def;
  }

  /** A duration; null when absent or unreadable. */
  Duration duration(String key) {
    return has(key) ? reading.duration(get(key), path(key)) : null;
  }

  /**
   * One of an enum's values in lower case, listed as {@code a or b} in an error; {@code def} when
   * absent.
   */
  <E extends Enum<E>> E oneOf(String key, E def) {
    return choice(key, def, " or ");
  }

  /**
   * One of an enum's values in lower case, listed with {@code separator} in an error; {@code def}
   * when absent.
   */
  <E extends Enum<E>> E choice(String key, E def, String separator) {
    return has(key) ? reading.choice(get(key), path(key), def, separator) : def;
  }

  /** Exactly one of {@code NAME}, {@code NAME_env}, {@code NAME_file}. */
  Secret secret(String name, boolean required) {
    Section s = this;
    Reading r = reading;
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
      return new Secret(Files.readString(r.input(f), StandardCharsets.UTF_8).strip(), "file " + f);
    } catch (IOException e) {
      s.error(
          name + "_file", "cannot read " + f + " (expected: a readable file holding the secret)");
      return null;
    }
  }
}
