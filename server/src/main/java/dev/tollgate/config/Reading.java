package dev.tollgate.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One reading of one configuration file: where its errors go, the environment that {@code ${NAME}}
 * expands from, the directory relative paths resolve from, and how each kind of value is read. A
 * value that cannot be read is an error naming the file and the key path, and the read answers null
 * (or the default given).
 */
final class Reading {
  private static final Pattern ENV = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?}");

  private final String file;
  private final Map<String, String> env;
  private final Path baseDir;
  private final boolean fromFile;
  private final List<String> errors = new ArrayList<>();
  private final List<Section> sections = new ArrayList<>();
  private final List<Path> inputs = new ArrayList<>();

  Reading(String file, Map<String, String> env, Path baseDir) {
    this(file, env, baseDir, false);
  }

  /**
   * @param fromFile whether the text was read from a file on disk (a file database then defaults to
   *     the file's directory)
   */
  Reading(String file, Map<String, String> env, Path baseDir, boolean fromFile) {
    this.fromFile = fromFile;
    this.file = file;
    this.env = env;
    this.baseDir = baseDir;
  }

  /** Every error so far, each {@code FILE: PATH: what (expected: ...)}. */
  List<String> errors() {
    return errors;
  }

  void error(String path, String message) {
    errors.add(file + ": " + (path.isEmpty() ? "" : path + ": ") + message);
  }

  /** A path in the file's directory (or the working directory for parsed text). */
  Path resolve(String relative) {
    return baseDir.resolve(relative);
  }

  /**
   * A file the configuration reads ({@code keys_file}, a secret's {@code *_file}), resolved like
   * {@link #resolve} and remembered: a reload watches it beside the configuration file.
   */
  Path input(String relative) {
    Path p = resolve(relative);
    inputs.add(p);
    return p;
  }

  /** Every file {@link #input} resolved so far. */
  List<Path> inputs() {
    return List.copyOf(inputs);
  }

  /** Whether the text was read from a file on disk. */
  boolean fromFile() {
    return fromFile;
  }

  /** The value of an environment variable, or null. */
  String env(String name) {
    return env.get(name);
  }

  /**
   * The mapping at {@code path}, its unknown keys reported at once; null when it is absent (an
   * error if required) or not a mapping (an error).
   */
  Section section(JsonNode n, String path, SectionKeys keys, boolean required) {
    if (!mapping(n, path, required)) {
      return null;
    }
    Section s = new Section(this, n, path, keys);
    sections.add(s);
    return s;
  }

  /** Every section opened so far, with the keys read from each. */
  List<Section> sections() {
    return List.copyOf(sections);
  }

  /**
   * Whether {@code n} is a mapping; when it is absent (an error if required) or something else (an
   * error), false. For mappings whose keys are names ({@code models}, {@code tiers}).
   */
  boolean mapping(JsonNode n, String path, boolean required) {
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

  String string(JsonNode v, String path) {
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

  List<String> stringList(JsonNode v, String path, boolean nonEmpty) {
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

  long integer(JsonNode v, String path, long min, long max, long def) {
    if (v != null && v.isTextual()) {
      String t = expand(v.asText(), path, false);
      try {
        return check(Long.parseLong(t == null ? "" : t.strip()), path, min, max, def);
      } catch (NumberFormatException e) {
        error(path, "'" + v.asText() + "' (expected: an integer from " + min + " to " + max + ")");
        return def;
      }
    }
    if (v == null || !v.isIntegralNumber() || !v.canConvertToLong()) {
      error(
          path,
          (v == null ? "missing" : "a " + kind(v))
              + " (expected: an integer from "
              + min
              + " to "
              + max
              + ")");
      return def;
    }
    return check(v.asLong(), path, min, max, def);
  }

  private long check(long value, String path, long min, long max, long def) {
    if (value < min || value > max) {
      error(path, value + " (expected: an integer from " + min + " to " + max + ")");
      return def;
    }
    return value;
  }

  BigDecimal decimal(JsonNode v, String path) {
    if (v == null || v.isNull()) {
      error(path, "missing (expected: a number)");
      return null;
    }
    String text =
        v.isTextual() ? expand(v.asText(), path, false) : v.isNumber() ? v.asText() : null;
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

  boolean bool(JsonNode v, String path) {
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

  /** A duration in the file's one grammar ({@link DurationText}). */
  Duration duration(JsonNode v, String path) {
    String t = v.isNumber() ? null : string(v, path);
    Duration d = t == null ? null : DurationText.parse(t);
    if (d == null) {
      error(path, "'" + v.asText() + "' (expected: " + DurationText.EXPECTED + ")");
    }
    return d;
  }

  /**
   * One of an enum's values, written in lower case; an error lists them joined by {@code
   * separator}.
   */
  <E extends Enum<E>> E choice(JsonNode v, String path, E def, String separator) {
    String text = string(v, path);
    if (text == null) {
      return def;
    }
    List<String> names = new ArrayList<>();
    for (E e : def.getDeclaringClass().getEnumConstants()) {
      String name = e.name().toLowerCase(Locale.ROOT);
      if (name.equals(text)) {
        return e;
      }
      names.add(name);
    }
    error(path, "'" + text + "' (expected: " + String.join(separator, names) + ")");
    return def;
  }

  /**
   * One secret of a list of keys, at least {@code minLength} characters; null (and an error)
   * otherwise.
   */
  Secret secretItem(JsonNode v, String path, int minLength, String tooShort) {
    if (!v.isTextual()) {
      error(path, "a " + kind(v) + " (expected: a string)");
      return null;
    }
    String value = expand(v.asText(), path, true);
    if (value != null && value.length() < minLength) {
      error(path, tooShort);
      return null;
    }
    return value == null ? null : new Secret(value, path);
  }

  /** An inline secret: {@code ${NAME}} expanded, each value stripped. */
  String expandSecret(String text, String path) {
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
        error(
            path,
            "environment variable "
                + m.group(1)
                + " is not set (expected: set it, or write ${"
                + m.group(1)
                + ":-default})");
        ok = false;
        value = "";
      }
      m.appendReplacement(sb, Matcher.quoteReplacement(secret ? value.strip() : value));
    }
    m.appendTail(sb);
    return ok ? sb.toString() : null;
  }

  /** What a node is, in the words of an error: mapping, list, string, boolean, number. */
  static String kind(JsonNode n) {
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
