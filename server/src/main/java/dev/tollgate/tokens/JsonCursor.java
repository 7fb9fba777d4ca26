package dev.tollgate.tokens;

import static com.fasterxml.jackson.core.JsonToken.END_ARRAY;
import static com.fasterxml.jackson.core.JsonToken.FIELD_NAME;
import static com.fasterxml.jackson.core.JsonToken.START_ARRAY;
import static com.fasterxml.jackson.core.JsonToken.START_OBJECT;
import static com.fasterxml.jackson.core.JsonToken.VALUE_NULL;
import static com.fasterxml.jackson.core.JsonToken.VALUE_NUMBER_INT;
import static com.fasterxml.jackson.core.JsonToken.VALUE_STRING;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonEOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * A Jackson parser over one request body that tolerates a body cut short: strings are counted into
 * the {@link TextTokens} as they are read (a string cut by the size limit up to the cut), values of
 * the wrong type are {@link InvalidRequestException}s naming the parameter as OpenAI does. Not
 * thread-safe.
 */
final class JsonCursor {
  /** Keys whose values are never text: ids, enum tags, inline binary data. */
  static final Set<String> NOT_TEXT =
      Set.of(
          "type",
          "id",
          "status",
          "call_id",
          "encrypted_content",
          "file_data",
          "file_id",
          "file_url",
          "image_url",
          "data");

  private final JsonParser p;
  private final byte[] body;
  private final boolean partial;
  private final TextTokens tally;
  private long cutDataChars = -1; // inline data cut by the size limit, priced by MediaParts

  JsonCursor(JsonParser p, byte[] body, boolean partial, TextTokens tally) {
    this.p = p;
    this.body = body;
    this.partial = partial;
    this.tally = tally;
  }

  /** The parser, for {@link #malformed}. */
  JsonParser parser() {
    return p;
  }

  /** The next token. */
  JsonToken next() throws IOException {
    return p.nextToken();
  }

  /** The current field name. */
  String name() throws IOException {
    return p.currentName();
  }

  /** The current value as text (not counted). */
  String string() throws IOException {
    return p.getText();
  }

  /** Counts a text that is not in the body (a role, a function signature). */
  void count(String s) {
    tally.text(s);
  }

  /** Length in chars of the inline data a cut string held, or -1 when none was cut. */
  long cutDataChars() {
    return cutDataChars;
  }

  // ------------------------------------------------------------------ values

  /** A string (counted) or null; anything else is an error. Returns whether it was a string. */
  boolean optionalText(JsonToken v) throws IOException {
    if (v == VALUE_STRING) {
      text();
      return true;
    }
    if (v != VALUE_NULL) {
      throw type("a string", v);
    }
    return false;
  }

  void requiredText(JsonToken v) throws IOException {
    if (v != VALUE_STRING) {
      throw type("a string", v);
    }
    text();
  }

  String optionalString(JsonToken v) throws IOException {
    if (v == VALUE_STRING) {
      return p.getText();
    }
    if (v != VALUE_NULL) {
      throw type("a string", v);
    }
    return null;
  }

  /** Length in chars of a string value (inline data); a cut string counts what arrived. */
  long stringLength(JsonToken v) throws IOException {
    if (v != VALUE_STRING) {
      skip(v);
      return -1;
    }
    try {
      return p.getTextLength();
    } catch (JsonProcessingException e) {
      if (partial && isCut(e)) {
        cutDataChars = body.length - p.currentTokenLocation().getByteOffset() - 1;
      }
      throw e;
    }
  }

  /** Every string value below here is text (object keys are not), except non-text keys. */
  void strings(JsonToken v) throws IOException {
    if (v == VALUE_STRING) {
      text();
    } else if (v == START_OBJECT) {
      while (p.nextToken() == FIELD_NAME) {
        String key = p.currentName();
        JsonToken w = p.nextToken();
        if (NOT_TEXT.contains(key)) {
          skip(w);
        } else {
          strings(w);
        }
      }
    } else if (v == START_ARRAY) {
      JsonToken t;
      while ((t = p.nextToken()) != END_ARRAY) {
        strings(t);
      }
    }
  }

  /** Counts the current string; a string cut by the size limit counts up to the cut. */
  void text() throws IOException {
    try {
      tally.text(p);
    } catch (JsonProcessingException e) {
      if (partial && isCut(e)) {
        int from = (int) p.currentTokenLocation().getByteOffset() + 1;
        tally.text(stringPrefix(body, from, body.length));
      }
      throw e;
    }
  }

  void skip(JsonToken v) throws IOException {
    if (v == START_OBJECT || v == START_ARRAY) {
      p.skipChildren();
    }
  }

  /** An integer value; {@code Long.MIN_VALUE} when a partial body cut it. */
  long integer(JsonToken v) throws IOException {
    if (v != VALUE_NUMBER_INT) {
      throw type("an integer", v);
    }
    if (partial && p.currentLocation().getByteOffset() >= body.length) {
      return Long.MIN_VALUE;
    }
    if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
      String param = param();
      throw new InvalidRequestException(
          param, "Invalid '" + param + "': integer out of range (" + p.getText() + ").");
    }
    return p.getLongValue();
  }

  boolean bool(JsonToken v) throws IOException {
    if (v == JsonToken.VALUE_TRUE) {
      return true;
    }
    if (v == JsonToken.VALUE_FALSE || v == VALUE_NULL) {
      return false;
    }
    throw type("a boolean", v);
  }

  // ------------------------------------------------------------------ errors

  /** Whether a parse error is the cut of a partial body rather than bad JSON. */
  boolean isCut(JsonProcessingException e) {
    if (e instanceof JsonEOFException) {
      return true;
    }
    JsonLocation at = e.getLocation();
    return at != null && at.getByteOffset() >= body.length - 8;
  }

  /**
   * The error for a body Jackson could not read: a duplicate key names its path.
   *
   * @param p the parser, or null when none was created
   */
  static InvalidRequestException malformed(IOException e, JsonParser p) {
    String detail = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.toString();
    String param = null;
    if (e instanceof JsonProcessingException && detail != null && detail.startsWith("Duplicate")) {
      param = p == null ? null : path(p.getParsingContext());
      return new InvalidRequestException(
          param, "Invalid body: duplicate field '" + param + "' (each field may appear once).");
    }
    String where = "";
    if (e instanceof JsonProcessingException j && j.getLocation() != null) {
      where =
          " (line "
              + j.getLocation().getLineNr()
              + ", column "
              + j.getLocation().getColumnNr()
              + ")";
    }
    return new InvalidRequestException(
        null, "We could not parse the JSON body of your request: " + detail + where + ".");
  }

  static InvalidRequestException missing(String param) {
    return new InvalidRequestException(param, "Missing required parameter: '" + param + "'.");
  }

  InvalidRequestException type(String expected, JsonToken got) {
    String param = param();
    return new InvalidRequestException(
        param,
        "Invalid type for '"
            + param
            + "': expected "
            + expected
            + ", but got "
            + kind(got)
            + " instead.");
  }

  /** The path of the current value: {@code messages[2].content}. */
  String param() {
    JsonStreamContext ctx = p.getParsingContext();
    JsonToken t = p.currentToken();
    if (t == START_OBJECT || t == START_ARRAY) {
      ctx = ctx.getParent();
    }
    return path(ctx);
  }

  private static String path(JsonStreamContext ctx) {
    if (ctx == null || ctx.inRoot()) {
      return "";
    }
    String parent = path(ctx.getParent());
    if (ctx.inArray()) {
      return parent + "[" + ctx.getCurrentIndex() + "]";
    }
    String name = String.valueOf(ctx.getCurrentName());
    return parent.isEmpty() ? name : parent + "." + name;
  }

  static String kind(JsonToken t) {
    if (t == null) {
      return "nothing";
    }
    switch (t) {
      case VALUE_STRING:
        return "a string";
      case VALUE_NUMBER_INT:
        return "an integer";
      case VALUE_NUMBER_FLOAT:
        return "a decimal number";
      case VALUE_TRUE:
      case VALUE_FALSE:
        return "a boolean";
      case VALUE_NULL:
        return "null";
      case START_OBJECT:
        return "an object";
      case START_ARRAY:
        return "an array";
      default:
        return "a value";
    }
  }

  /**
   * The decoded content of a JSON string whose opening quote precedes {@code from} and which is cut
   * at {@code end}: escapes and UTF-8 sequences that are cut are dropped.
   */
  static String stringPrefix(byte[] b, int from, int end) {
    StringBuilder sb = new StringBuilder(Math.max(0, end - from));
    int i = from;
    while (i < end) {
      int c = b[i] & 0xFF;
      if (c == '"') {
        break;
      }
      if (c == '\\') {
        if (i + 1 >= end) {
          break;
        }
        char e = (char) b[i + 1];
        if (e == 'u') {
          if (i + 6 > end) {
            break;
          }
          int value = 0;
          for (int k = i + 2; k < i + 6; k++) {
            int d = Character.digit(b[k], 16);
            if (d < 0) {
              return sb.toString();
            }
            value = value * 16 + d;
          }
          sb.append((char) value);
          i += 6;
          continue;
        }
        sb.append(
            switch (e) {
              case 'n' -> '\n';
              case 't' -> '\t';
              case 'r' -> '\r';
              case 'b' -> '\b';
              case 'f' -> '\f';
              default -> e;
            });
        i += 2;
        continue;
      }
      if (c < 0x80) {
        sb.append((char) c);
        i++;
        continue;
      }
      int len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
      if (i + len > end) {
        break;
      }
      sb.append(new String(b, i, len, StandardCharsets.UTF_8));
      i += len;
    }
    return sb.toString();
  }
}
