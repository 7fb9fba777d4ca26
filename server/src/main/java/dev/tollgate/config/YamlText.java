package dev.tollgate.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.util.ArrayDeque;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Parses the YAML of a configuration file (the main file and {@code keys_file}) into a tree. A key
 * that appears twice in one mapping is an error, not "the last one wins". An error says where (line
 * and column) and what was wrong, and never quotes the file: the broken line may hold an inline
 * secret, and YAML parsers print it with a caret under it.
 */
final class YamlText {
  private static final ObjectMapper MAPPER =
      new ObjectMapper(
          YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());

  /** Names the parser may echo from the text: an alias, anchor or tag it could not resolve. */
  private static final Pattern ECHOED_NAME =
      Pattern.compile("(alias|anchor|tag handle|tag)\\s+\\S+");

  private YamlText() {}

  /** Why a text is not a usable YAML document; the message holds no text of the document. */
  static final class Invalid extends Exception {
    private static final long serialVersionUID = 1L;

    Invalid(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * The document as a tree, or null for an empty one.
   *
   * @throws Invalid with a message such as {@code upstream.api_key: duplicate key at line 4, column
   *     3 (expected: each key once in a mapping)} or {@code YAML syntax error at line 3, column 42:
   *     mapping values are not allowed here (expected: valid YAML)}
   */
  static JsonNode parse(String text) throws Invalid {
    try {
      return MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw new Invalid(describe(e));
    }
  }

  /** Line, column and the fault, without any snippet of the document. */
  static String describe(JsonProcessingException e) {
    MarkedYAMLException marked = marked(e);
    if (marked != null) {
      Mark mark =
          marked.getProblemMark() != null ? marked.getProblemMark() : marked.getContextMark();
      String where =
          mark == null
              ? at(e.getLocation())
              : "line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1);
      String what = clean(marked.getProblem());
      if (marked.getContext() != null) {
        what = clean(marked.getContext()) + ": " + what;
      }
      return "YAML syntax error at " + where + ": " + what + " (expected: valid YAML)";
    }
    String original = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
    if (original.startsWith("Duplicate field") && e.getProcessor() instanceof JsonParser p) {
      // where the repeated key starts (the exception's location is where it ends)
      return path(p.getParsingContext())
          + ": duplicate key at "
          + at(p.currentTokenLocation())
          + " (expected: each key once in a mapping)";
    }
    return "YAML syntax error at " + at(e.getLocation()) + " (expected: valid YAML)";
  }

  private static MarkedYAMLException marked(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof MarkedYAMLException m) {
        return m;
      }
    }
    return null;
  }

  private static String at(JsonLocation loc) {
    return loc == null || loc.getLineNr() < 1
        ? "line ?"
        : "line " + loc.getLineNr() + ", column " + loc.getColumnNr();
  }

  /** The first line of a parser message, with any name it took from the document dropped. */
  private static String clean(String message) {
    String first = message == null ? "invalid" : message.strip();
    int nl = first.indexOf('\n');
    if (nl >= 0) {
      first = first.substring(0, nl);
    }
    return ECHOED_NAME.matcher(first).replaceAll("$1");
  }

  /**
   * A parser position as a key path: {@code upstream.api_key}, {@code keys[1].name}, {@code
   * [0].name}.
   */
  static String path(JsonStreamContext ctx) {
    ArrayDeque<String> parts = new ArrayDeque<>();
    for (JsonStreamContext c = ctx; c != null && !c.inRoot(); c = c.getParent()) {
      if (c.inArray()) {
        parts.addFirst("[" + Math.max(0, c.getCurrentIndex()) + "]");
      } else if (c.getCurrentName() != null) {
        parts.addFirst(c.getCurrentName());
      }
    }
    StringBuilder out = new StringBuilder();
    for (String part : parts) {
      out.append(out.length() > 0 && !part.startsWith("[") ? "." : "").append(part);
    }
    return out.length() == 0 ? "(top level)" : out.toString();
  }
}
