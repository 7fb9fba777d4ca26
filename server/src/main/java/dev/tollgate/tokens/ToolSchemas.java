package dev.tollgate.tokens;

import static com.fasterxml.jackson.core.JsonToken.END_ARRAY;
import static com.fasterxml.jackson.core.JsonToken.FIELD_NAME;
import static com.fasterxml.jackson.core.JsonToken.START_ARRAY;
import static com.fasterxml.jackson.core.JsonToken.START_OBJECT;
import static com.fasterxml.jackson.core.JsonToken.VALUE_NULL;
import static com.fasterxml.jackson.core.JsonToken.VALUE_STRING;

import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * Tools, legacy {@code functions} and JSON schemas: texts counted as they are read, the structure
 * (functions, properties, enums) counted here and priced by the {@link Cookbook}'s tools formula
 * once the encoding is known. Not thread-safe.
 */
final class ToolSchemas {
  private final JsonCursor in;
  private long functions;
  private long propertyStarts;
  private long properties;
  private long enumStarts;
  private long enumItems;

  ToolSchemas(JsonCursor in) {
    this.in = in;
  }

  /** The cookbook's tool tokens for the encoding (0 without functions). */
  long tokens(CountingEncoding encoding) {
    return Cookbook.toolTokens(
        encoding, functions, propertyStarts, properties, enumStarts, enumItems);
  }

  /** {@code tools}: chat's {@code {type, function: {...}}} or Responses' flattened functions. */
  void tools(JsonToken v, boolean flattened) throws IOException {
    if (v == VALUE_NULL) {
      return;
    }
    if (v != START_ARRAY) {
      throw in.type("an array", v);
    }
    JsonToken t;
    while ((t = in.next()) != END_ARRAY) {
      if (t != START_OBJECT) {
        throw in.type("an object", t);
      }
      if (flattened) {
        function(true);
      } else {
        while (in.next() == FIELD_NAME) {
          String key = in.name();
          JsonToken w = in.next();
          if (key.equals("function") && w == START_OBJECT) {
            function(false);
          } else if (key.equals("function")) {
            throw in.type("an object", w);
          } else if (JsonCursor.NOT_TEXT.contains(key)) {
            in.skip(w);
          } else {
            in.strings(w); // custom tools: name, description, format
          }
        }
      }
    }
  }

  /** Chat's legacy {@code functions}: an array of function definitions. */
  void legacyFunctions(JsonToken v) throws IOException {
    if (v == VALUE_NULL) {
      return;
    }
    if (v != START_ARRAY) {
      throw in.type("an array", v);
    }
    JsonToken t;
    while ((t = in.next()) != END_ARRAY) {
      if (t != START_OBJECT) {
        throw in.type("an object", t);
      }
      function(false);
    }
  }

  /** An object holding {@code key} as a schema holder ({@code response_format}, {@code text}). */
  void schemaHolderIn(JsonToken v, String key) throws IOException {
    if (v != START_OBJECT) {
      in.skip(v);
      return;
    }
    while (in.next() == FIELD_NAME) {
      JsonToken w = in.next();
      if (in.name().equals(key)) {
        schemaHolder(w);
      } else {
        in.skip(w);
      }
    }
  }

  /**
   * A function definition: {@code name:description} encoded (a final period dropped) plus its
   * parameters. {@code flattened} (Responses tools) counts as a function only with a name or
   * parameters; other tools there only count their strings.
   */
  private void function(boolean flattened) throws IOException {
    String name = null;
    String description = "";
    boolean isFunction = !flattened;
    while (in.next() == FIELD_NAME) {
      String key = in.name();
      JsonToken v = in.next();
      switch (key) {
        case "name":
          name = in.optionalString(v);
          break;
        case "description":
          String d = in.optionalString(v);
          description = d == null ? "" : d;
          break;
        case "parameters":
          if (v == START_OBJECT) {
            isFunction = true;
            schemaObject();
          } else {
            in.skip(v);
          }
          break;
        default:
          if (JsonCursor.NOT_TEXT.contains(key) || key.equals("strict")) {
            in.skip(v);
          } else {
            in.strings(v);
          }
      }
    }
    if (isFunction || name != null) {
      functions++;
      in.count((name == null ? "" : name) + ":" + withoutFinalPeriod(description));
    }
  }

  /** A JSON schema object: its {@code properties} by the cookbook, the rest as plain strings. */
  private void schemaObject() throws IOException {
    while (in.next() == FIELD_NAME) {
      String key = in.name();
      JsonToken v = in.next();
      switch (key) {
        case "properties":
          if (v == START_OBJECT) {
            properties();
          } else {
            in.skip(v);
          }
          break;
        case "type":
        case "required":
        case "additionalProperties":
        case "strict":
          in.skip(v);
          break;
        default:
          in.strings(v);
      }
    }
  }

  private void properties() throws IOException {
    boolean first = true;
    while (in.next() == FIELD_NAME) {
      String key = in.name();
      JsonToken v = in.next();
      if (first) {
        propertyStarts++;
        first = false;
      }
      properties++;
      property(key, v);
    }
  }

  /** One property: {@code key:type:description} encoded, enum items, nested properties. */
  private void property(String key, JsonToken v) throws IOException {
    String type = "";
    String description = "";
    if (v == START_OBJECT) {
      while (in.next() == FIELD_NAME) {
        String k = in.name();
        JsonToken w = in.next();
        switch (k) {
          case "type":
            type = schemaType(w);
            break;
          case "description":
            String d = in.optionalString(w);
            description = d == null ? "" : d;
            break;
          case "enum":
            if (w == START_ARRAY) {
              enumStarts++;
              JsonToken e;
              while ((e = in.next()) != END_ARRAY) {
                enumItems++;
                if (e == START_OBJECT || e == START_ARRAY) {
                  in.strings(e);
                } else {
                  in.text();
                }
              }
            } else {
              in.skip(w);
            }
            break;
          case "properties":
          case "items":
            if (w == START_OBJECT) {
              if (k.equals("properties")) {
                properties();
              } else {
                schemaObject();
              }
            } else {
              in.strings(w);
            }
            break;
          case "required":
          case "additionalProperties":
            in.skip(w);
            break;
          default:
            in.strings(w);
        }
      }
    } else {
      in.skip(v);
    }
    in.count(key + ":" + type + ":" + withoutFinalPeriod(description));
  }

  private String schemaType(JsonToken v) throws IOException {
    if (v == VALUE_STRING) {
      return in.string();
    }
    if (v == START_ARRAY) {
      StringBuilder sb = new StringBuilder();
      JsonToken t;
      while ((t = in.next()) != END_ARRAY) {
        if (t == VALUE_STRING) {
          if (sb.length() > 0) {
            sb.append(" | ");
          }
          sb.append(in.string());
        } else {
          in.skip(t);
        }
      }
      return sb.toString();
    }
    in.skip(v);
    return "";
  }

  /** {@code response_format.json_schema} / {@code text.format}: names and schema as text. */
  private void schemaHolder(JsonToken v) throws IOException {
    if (v != START_OBJECT) {
      in.skip(v);
      return;
    }
    while (in.next() == FIELD_NAME) {
      String key = in.name();
      JsonToken w = in.next();
      if (key.equals("schema")) {
        keysAndStrings(w);
      } else if (key.equals("name") || key.equals("description")) {
        in.optionalText(w);
      } else {
        in.skip(w);
      }
    }
  }

  private void keysAndStrings(JsonToken v) throws IOException {
    if (v == VALUE_STRING) {
      in.text();
    } else if (v == START_OBJECT) {
      while (in.next() == FIELD_NAME) {
        in.text();
        keysAndStrings(in.next());
      }
    } else if (v == START_ARRAY) {
      JsonToken t;
      while ((t = in.next()) != END_ARRAY) {
        keysAndStrings(t);
      }
    }
  }

  private static String withoutFinalPeriod(String s) {
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }
}
