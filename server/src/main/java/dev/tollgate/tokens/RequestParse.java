package dev.tollgate.tokens;

import static com.fasterxml.jackson.core.JsonToken.END_ARRAY;
import static com.fasterxml.jackson.core.JsonToken.FIELD_NAME;
import static com.fasterxml.jackson.core.JsonToken.START_ARRAY;
import static com.fasterxml.jackson.core.JsonToken.START_OBJECT;
import static com.fasterxml.jackson.core.JsonToken.VALUE_NULL;
import static com.fasterxml.jackson.core.JsonToken.VALUE_NUMBER_INT;
import static com.fasterxml.jackson.core.JsonToken.VALUE_STRING;


import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/** One body being read: the rules described on {@link RequestCounter}. Not thread-safe. */
final class RequestParse {
  static final int IMAGE_LOW_DETAIL_TOKENS = 85;
  static final int IMAGE_TOKENS = 765;
  static final int AUDIO_BYTES_PER_TOKEN = 1600;
  static final int WAV_BYTES_PER_TOKEN = 4800;
  static final int FILE_BYTES_PER_TOKEN = 32;
  static final int FILE_REFERENCE_TOKENS = 1000;

  static final int MAX_N = 128;
  /**
   * Largest {@code max_tokens} / {@code max_completion_tokens} / {@code max_output_tokens}
   * accepted (the API's integers are 32-bit); times {@code n} and the prompt count it stays far
   * from overflowing a long.
   */
  static final long MAX_OUTPUT_TOKENS = Integer.MAX_VALUE;
  static final int MAX_BEST_OF = 20;

  /** Keys whose values are never text: ids, enum tags, inline binary data. */
  private static final Set<String> NOT_TEXT =
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

  private final JsonFactory json;
  private final Encodings encodings;
  private final ApiKind api;
  private final byte[] body;
  private final boolean partial;
  private final Set<String> wanted;
  private final Function<String, String> configured;
  private final Tally tally = new Tally();

  private JsonParser p;
  private String model;
  private Map<String, String> fields;
  private boolean sawMessages;
  private boolean sawInput;
  private long cutDataChars = -1; // inline data cut by the size limit, priced by part()

  private long maxTokens = -1;
  private long maxCompletionTokens = -1;
  private long maxOutputTokens = -1;
  private long n = 1;
  private long bestOf = 1;
  private long prompts = 1;
  private boolean stream;
  private boolean includeUsage;

  // structure, priced once the model is known
  private long messages;
  private long names;
  private long functions;
  private long propertyStarts;
  private long properties;
  private long enumStarts;
  private long enumItems;
  private long estimated;

  RequestParse(
      JsonFactory json,
      Encodings encodings,
      ApiKind api,
      byte[] body,
      boolean partial,
      Set<String> wanted,
      Function<String, String> configured) {
    this.json = json;
    this.encodings = encodings;
    this.api = api;
    this.body = body;
    this.partial = partial;
    this.wanted = wanted;
    this.configured = configured;
  }

  ParsedRequest run() {
    try (JsonParser parser = json.createParser(body)) {
      p = parser;
      JsonToken first;
      try {
        first = p.nextToken();
      } catch (JsonProcessingException e) {
        throw malformed(e);
      }
      if (first != START_OBJECT) {
        throw new InvalidRequestException(
            null,
            first == null
                ? "The request body is empty: expected a JSON object."
                : "The request body must be a JSON object, not " + kind(first) + ".");
      }
      try {
        readTop();
        if (!partial && p.nextToken() != null) {
          throw new InvalidRequestException(
              null,
              "We could not parse the JSON body of your request: content after the JSON object.");
        }
      } catch (StreamConstraintsException e) {
        throw new InvalidRequestException(
            null, "The request body is too deeply nested or too large: " + e.getOriginalMessage());
      } catch (JsonProcessingException e) {
        if (!(partial && isCut(e))) {
          throw malformed(e);
        }
      }
    } catch (IOException e) {
      throw malformed(e);
    }
    return finish();
  }

  // ------------------------------------------------------------------ top level

  private void readTop() throws IOException {
    while (p.nextToken() == FIELD_NAME) {
      String name = p.currentName();
      JsonToken v = p.nextToken();
      if (name.equals("model")) {
        readModel(v);
      } else if (!readApiField(name, v)) {
        skip(v);
      }
      if (v == VALUE_STRING && wanted.contains(name)) {
        if (fields == null) {
          fields = new HashMap<>();
        }
        fields.put(name, p.getText());
      }
    }
  }

  private void readModel(JsonToken v) throws IOException {
    if (v != VALUE_STRING) {
      if (v == VALUE_NULL) {
        throw missing("model");
      }
      throw type("a string", v);
    }
    String m = p.getText(); // a cut value throws here: model stays unknown
    if (m.isEmpty()) {
      throw missing("model");
    }
    model = m;
    tally.resolve(encodings.counting(m, configured == null ? null : configured.apply(m)));
  }

  private boolean readApiField(String name, JsonToken v) throws IOException {
    switch (api) {
      case CHAT_COMPLETIONS:
        switch (name) {
          case "messages":
            chatMessages(v);
            return true;
          case "tools":
            tools(v, false);
            return true;
          case "functions":
            legacyFunctions(v);
            return true;
          case "response_format":
            responseFormat(v);
            return true;
          case "max_tokens":
            maxTokens = maxTokens(v);
            return true;
          case "max_completion_tokens":
            maxCompletionTokens = maxTokens(v);
            return true;
          case "n":
            n = positive(v, MAX_N);
            return true;
          case "stream":
            stream = bool(v);
            return true;
          case "stream_options":
            streamOptions(v);
            return true;
          default:
            return false;
        }
      case RESPONSES:
        switch (name) {
          case "instructions":
            instructions(v);
            return true;
          case "input":
            responsesInput(v);
            return true;
          case "tools":
            tools(v, true);
            return true;
          case "text":
            textFormat(v);
            return true;
          case "prompt":
            promptTemplate(v);
            return true;
          case "max_output_tokens":
            maxOutputTokens = maxTokens(v);
            return true;
          case "stream":
            stream = bool(v);
            return true;
          default:
            return false;
        }
      case COMPLETIONS:
        switch (name) {
          case "prompt":
            prompts = tokenInputs(v);
            return true;
          case "suffix":
            optionalText(v);
            return true;
          case "max_tokens":
            maxTokens = maxTokens(v);
            return true;
          case "n":
            n = positive(v, MAX_N);
            return true;
          case "best_of":
            bestOf = positive(v, MAX_BEST_OF);
            return true;
          case "stream":
            stream = bool(v);
            return true;
          case "stream_options":
            streamOptions(v);
            return true;
          default:
            return false;
        }
      case EMBEDDINGS:
        if (name.equals("input")) {
          sawInput = v != VALUE_NULL;
          tokenInputs(v);
          return true;
        }
        return false;
      default:
        return false;
    }
  }

  private ParsedRequest finish() {
    if (!partial) {
      if (model == null) {
        throw missing("model");
      }
      if (api == ApiKind.CHAT_COMPLETIONS && !sawMessages) {
        throw missing("messages");
      }
      if (api == ApiKind.EMBEDDINGS && !sawInput) {
        throw missing("input");
      }
    }
    if (tally.encoding() == null) {
      tally.resolve(encodings.counting(null, null));
    }
    long prompt = tally.tokens() + estimated + toolTokens(tally.encoding());
    long maxOut;
    long choices = 1;
    boolean usage = includeUsage;
    switch (api) {
      case CHAT_COMPLETIONS:
        boolean legacy0301 = "gpt-3.5-turbo-0301".equals(model);
        prompt += messages * (legacy0301 ? 4 : 3) + names * (legacy0301 ? -1 : 1) + 3;
        maxOut = maxCompletionTokens >= 0 ? maxCompletionTokens : maxTokens;
        choices = n;
        break;
      case RESPONSES:
        prompt += messages * 3 + 3;
        maxOut = maxOutputTokens;
        usage = stream;
        break;
      case COMPLETIONS:
        maxOut = maxTokens;
        choices = Math.max(n, bestOf) * Math.max(1, prompts);
        break;
      default:
        maxOut = 0;
        stream = false;
        usage = false;
    }
    return new ParsedRequest(
        api,
        model,
        (int) Math.min(Integer.MAX_VALUE, Math.max(0, prompt)),
        maxOut,
        (int) Math.min(Integer.MAX_VALUE, choices),
        stream,
        usage,
        fields == null ? Map.of() : fields,
        partial);
  }

  // ------------------------------------------------------------------ chat

  private void chatMessages(JsonToken v) throws IOException {
    if (v == VALUE_NULL) {
      return;
    }
    if (v != START_ARRAY) {
      throw type("an array", v);
    }
    sawMessages = true;
    JsonToken t;
    while ((t = p.nextToken()) != END_ARRAY) {
      if (t != START_OBJECT) {
        throw type("an object", t);
      }
      messages++;
      chatMessage();
    }
  }

  private void chatMessage() throws IOException {
    while (p.nextToken() == FIELD_NAME) {
      String key = p.currentName();
      JsonToken v = p.nextToken();
      switch (key) {
        case "content":
          content(v);
          break;
        case "role":
          requiredText(v);
          break;
        case "name":
          if (optionalText(v)) {
            names++;
          }
          break;
        default:
          strings(v); // every string value of a message counts (cookbook)
      }
    }
  }

  /** A string, null, or an array of content parts. */
  private void content(JsonToken v) throws IOException {
    if (v == VALUE_STRING) {
      text();
    } else if (v == START_ARRAY) {
      JsonToken t;
      while ((t = p.nextToken()) != END_ARRAY) {
        if (t == VALUE_STRING) {
          text();
        } else if (t == START_OBJECT) {
          part();
        } else {
          throw type("an object", t);
        }
      }
    } else if (v != VALUE_NULL) {
      throw type("a string or an array", v);
    }
  }

  /** One content part: text is counted, media estimated (see {@link RequestCounter}). */
  private void part() throws IOException {
    String type = null;
    String detail = null;
    String format = null;
    long dataChars = -1;
    boolean image = false;
    boolean audio = false;
    boolean file = false;
    boolean fileReference = false;
    try {
      while (p.nextToken() == FIELD_NAME) {
        String key = p.currentName();
        JsonToken v = p.nextToken();
        switch (key) {
          case "type":
            type = optionalString(v);
            break;
          case "text":
          case "refusal":
            optionalText(v);
            break;
          case "image_url": // chat: {url, detail}; responses: a URL string
            image = true;
            if (v == START_OBJECT) {
              while (p.nextToken() == FIELD_NAME) {
                JsonToken w = p.nextToken();
                if (p.currentName().equals("detail")) {
                  detail = optionalString(w);
                } else {
                  skip(w);
                }
              }
            } else {
              skip(v);
            }
            break;
          case "detail":
            detail = optionalString(v);
            break;
          case "input_audio":
            audio = true;
            if (v == START_OBJECT) {
              while (p.nextToken() == FIELD_NAME) {
                String k = p.currentName();
                JsonToken w = p.nextToken();
                if (k.equals("data")) {
                  dataChars = stringLength(w);
                } else if (k.equals("format")) {
                  format = optionalString(w);
                } else {
                  skip(w);
                }
              }
            } else {
              skip(v);
            }
            break;
          case "file":
            file = true;
            if (v == START_OBJECT) {
              while (p.nextToken() == FIELD_NAME) {
                String k = p.currentName();
                JsonToken w = p.nextToken();
                if (k.equals("file_data")) {
                  dataChars = stringLength(w);
                } else if (k.equals("file_id") || k.equals("file_url")) {
                  fileReference = true;
                  skip(w);
                } else {
                  skip(w);
                }
              }
            } else {
              skip(v);
            }
            break;
          case "file_data":
            file = true;
            dataChars = stringLength(v);
            break;
          case "file_id":
          case "file_url":
            fileReference = true;
            skip(v);
            break;
          default:
            skip(v);
        }
      }
    } finally {
      if (dataChars < 0) {
        dataChars = cutDataChars;
      }
      if (type != null) {
        image |= type.equals("image_url") || type.equals("input_image");
        audio |= type.equals("input_audio");
        file |= type.equals("file") || type.equals("input_file");
      }
      if (image) {
        estimated += "low".equals(detail) ? IMAGE_LOW_DETAIL_TOKENS : IMAGE_TOKENS;
      } else if (audio) {
        int perToken = "wav".equals(format) ? WAV_BYTES_PER_TOKEN : AUDIO_BYTES_PER_TOKEN;
        estimated += ceilDiv(Math.max(0, dataChars) * 3 / 4, perToken);
      } else if (file) {
        estimated +=
            dataChars >= 0
                ? ceilDiv(dataChars * 3 / 4, FILE_BYTES_PER_TOKEN)
                : fileReference ? FILE_REFERENCE_TOKENS : 0;
      }
    }
  }

  private void responseFormat(JsonToken v) throws IOException {
    if (v != START_OBJECT) {
      skip(v);
      return;
    }
    while (p.nextToken() == FIELD_NAME) {
      JsonToken w = p.nextToken();
      if (p.currentName().equals("json_schema")) {
        schemaHolder(w);
      } else {
        skip(w);
      }
    }
  }

  // ------------------------------------------------------------------ responses

  private void instructions(JsonToken v) throws IOException {
    if (v == VALUE_STRING) {
      messages++;
      tally.text("system");
      text();
    } else if (v == START_ARRAY) { // input items, as in a stored response
      itemArray();
    } else if (v != VALUE_NULL) {
      throw type("a string", v);
    }
  }

  private void responsesInput(JsonToken v) throws IOException {
    if (v == VALUE_STRING) {
      messages++;
      tally.text("user");
      text();
    } else if (v == START_ARRAY) {
      itemArray();
    } else if (v != VALUE_NULL) {
      throw type("a string or an array", v);
    }
  }

  private void itemArray() throws IOException {
    JsonToken t;
    while ((t = p.nextToken()) != END_ARRAY) {
      if (t == START_OBJECT) {
        messages++;
        inputItem();
      } else if (t == VALUE_STRING) {
        messages++;
        tally.text("user");
        text();
      } else {
        throw type("an object", t);
      }
    }
  }

  /** A message, function_call, function_call_output, reasoning or other input item. */
  private void inputItem() throws IOException {
    while (p.nextToken() == FIELD_NAME) {
      String key = p.currentName();
      JsonToken v = p.nextToken();
      switch (key) {
        case "content":
          content(v);
          break;
        case "role":
          requiredText(v);
          break;
        case "output": // function_call_output: a string or content parts
          content(v);
          break;
        default:
          if (NOT_TEXT.contains(key)) {
            skip(v);
          } else {
            strings(v);
          }
      }
    }
  }

  private void textFormat(JsonToken v) throws IOException {
    if (v != START_OBJECT) {
      skip(v);
      return;
    }
    while (p.nextToken() == FIELD_NAME) {
      JsonToken w = p.nextToken();
      if (p.currentName().equals("format")) {
        schemaHolder(w);
      } else {
        skip(w);
      }
    }
  }

  /** A reusable prompt reference: its variables are text. */
  private void promptTemplate(JsonToken v) throws IOException {
    if (v != START_OBJECT) {
      skip(v);
      return;
    }
    while (p.nextToken() == FIELD_NAME) {
      JsonToken w = p.nextToken();
      if (p.currentName().equals("variables")) {
        strings(w);
      } else {
        skip(w);
      }
    }
  }

  // ------------------------------------------------------------------ tools

  private void tools(JsonToken v, boolean flattened) throws IOException {
    if (v == VALUE_NULL) {
      return;
    }
    if (v != START_ARRAY) {
      throw type("an array", v);
    }
    JsonToken t;
    while ((t = p.nextToken()) != END_ARRAY) {
      if (t != START_OBJECT) {
        throw type("an object", t);
      }
      if (flattened) {
        function(true);
      } else {
        while (p.nextToken() == FIELD_NAME) {
          String key = p.currentName();
          JsonToken w = p.nextToken();
          if (key.equals("function") && w == START_OBJECT) {
            function(false);
          } else if (key.equals("function")) {
            throw type("an object", w);
          } else if (NOT_TEXT.contains(key)) {
            skip(w);
          } else {
            strings(w); // custom tools: name, description, format
          }
        }
      }
    }
  }

  private void legacyFunctions(JsonToken v) throws IOException {
    if (v == VALUE_NULL) {
      return;
    }
    if (v != START_ARRAY) {
      throw type("an array", v);
    }
    JsonToken t;
    while ((t = p.nextToken()) != END_ARRAY) {
      if (t != START_OBJECT) {
        throw type("an object", t);
      }
      function(false);
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
    while (p.nextToken() == FIELD_NAME) {
      String key = p.currentName();
      JsonToken v = p.nextToken();
      switch (key) {
        case "name":
          name = optionalString(v);
          break;
        case "description":
          String d = optionalString(v);
          description = d == null ? "" : d;
          break;
        case "parameters":
          if (v == START_OBJECT) {
            isFunction = true;
            schemaObject();
          } else {
            skip(v);
          }
          break;
        default:
          if (NOT_TEXT.contains(key) || key.equals("strict")) {
            skip(v);
          } else {
            strings(v);
          }
      }
    }
    if (isFunction || name != null) {
      functions++;
      tally.text((name == null ? "" : name) + ":" + withoutFinalPeriod(description));
    }
  }

  /** A JSON schema object: its {@code properties} by the cookbook, the rest as plain strings. */
  private void schemaObject() throws IOException {
    while (p.nextToken() == FIELD_NAME) {
      String key = p.currentName();
      JsonToken v = p.nextToken();
      switch (key) {
        case "properties":
          if (v == START_OBJECT) {
            properties();
          } else {
            skip(v);
          }
          break;
        case "type":
        case "required":
        case "additionalProperties":
        case "strict":
          skip(v);
          break;
        default:
          strings(v);
      }
    }
  }

  private void properties() throws IOException {
    boolean first = true;
    while (p.nextToken() == FIELD_NAME) {
      String key = p.currentName();
      JsonToken v = p.nextToken();
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
      while (p.nextToken() == FIELD_NAME) {
        String k = p.currentName();
        JsonToken w = p.nextToken();
        switch (k) {
          case "type":
            type = schemaType(w);
            break;
          case "description":
            String d = optionalString(w);
            description = d == null ? "" : d;
            break;
          case "enum":
            if (w == START_ARRAY) {
              enumStarts++;
              JsonToken e;
              while ((e = p.nextToken()) != END_ARRAY) {
                enumItems++;
                if (e == START_OBJECT || e == START_ARRAY) {
                  strings(e);
                } else {
                  text();
                }
              }
            } else {
              skip(w);
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
              strings(w);
            }
            break;
          case "required":
          case "additionalProperties":
            skip(w);
            break;
          default:
            strings(w);
        }
      }
    } else {
      skip(v);
    }
    tally.text(key + ":" + type + ":" + withoutFinalPeriod(description));
  }

  private String schemaType(JsonToken v) throws IOException {
    if (v == VALUE_STRING) {
      return p.getText();
    }
    if (v == START_ARRAY) {
      StringBuilder sb = new StringBuilder();
      JsonToken t;
      while ((t = p.nextToken()) != END_ARRAY) {
        if (t == VALUE_STRING) {
          if (sb.length() > 0) {
            sb.append(" | ");
          }
          sb.append(p.getText());
        } else {
          skip(t);
        }
      }
      return sb.toString();
    }
    skip(v);
    return "";
  }

  /** {@code response_format.json_schema} / {@code text.format}: names and schema as text. */
  private void schemaHolder(JsonToken v) throws IOException {
    if (v != START_OBJECT) {
      skip(v);
      return;
    }
    while (p.nextToken() == FIELD_NAME) {
      String key = p.currentName();
      JsonToken w = p.nextToken();
      if (key.equals("schema")) {
        keysAndStrings(w);
      } else if (key.equals("name") || key.equals("description")) {
        optionalText(w);
      } else {
        skip(w);
      }
    }
  }

  private void keysAndStrings(JsonToken v) throws IOException {
    if (v == VALUE_STRING) {
      text();
    } else if (v == START_OBJECT) {
      while (p.nextToken() == FIELD_NAME) {
        text();
        keysAndStrings(p.nextToken());
      }
    } else if (v == START_ARRAY) {
      JsonToken t;
      while ((t = p.nextToken()) != END_ARRAY) {
        keysAndStrings(t);
      }
    }
  }

  private static int ceilDiv(long a, int b) {
    return (int) Math.min(Integer.MAX_VALUE, (a + b - 1) / b);
  }

  private static String withoutFinalPeriod(String s) {
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }

  /** The cookbook's tool constants for the encoding. */
  private long toolTokens(CountingEncoding encoding) {
    if (functions == 0) {
      return 0;
    }
    long functionStart = encoding.baseName().equals("o200k_base") ? 7 : 10;
    return functions * functionStart
        + propertyStarts * 3
        + properties * 3
        + enumStarts * -3
        + enumItems * 3
        + 12;
  }

  // ------------------------------------------------------------------ completions, embeddings

  /**
   * A string, strings, a token array or token arrays; strings are text, arrays count their
   * lengths. Returns the number of prompts (1 for a string or a flat token array).
   */
  private long tokenInputs(JsonToken v) throws IOException {
    if (v == VALUE_STRING) {
      text();
      return 1;
    }
    if (v == VALUE_NULL) {
      return 1;
    }
    if (v != START_ARRAY) {
      throw type("a string or an array", v);
    }
    long count = 0;
    boolean flat = false;
    JsonToken t;
    while ((t = p.nextToken()) != END_ARRAY) {
      if (t == VALUE_STRING) {
        text();
        count++;
      } else if (t == VALUE_NUMBER_INT) {
        estimated++;
        flat = true;
      } else if (t == START_ARRAY) {
        count++;
        JsonToken e;
        while ((e = p.nextToken()) != END_ARRAY) {
          if (e != VALUE_NUMBER_INT) {
            throw type("an integer", e);
          }
          estimated++;
        }
      } else {
        throw type("a string, an integer or an array", t);
      }
    }
    return Math.max(1, count + (flat ? 1 : 0));
  }

  // ------------------------------------------------------------------ scalars

  /** A maximum-output-tokens parameter: 0..{@value #MAX_OUTPUT_TOKENS}, -1 when null or cut. */
  private long maxTokens(JsonToken v) throws IOException {
    if (v == VALUE_NULL) {
      return -1;
    }
    long value = integer(v);
    if (value == Long.MIN_VALUE) {
      return -1; // cut by the size limit
    }
    if (value < 0 || value > MAX_OUTPUT_TOKENS) {
      String p = param();
      throw new InvalidRequestException(
          p,
          "Invalid '"
              + p
              + "': integer "
              + (value < 0 ? "below minimum value. Expected a value >= 0" : "above maximum value. Expected a value <= "
                  + MAX_OUTPUT_TOKENS)
              + ", but got "
              + value
              + " instead.");
    }
    return value;
  }

  private long positive(JsonToken v, long max) throws IOException {
    if (v == VALUE_NULL) {
      return 1;
    }
    long value = integer(v);
    if (value == Long.MIN_VALUE) {
      return 1;
    }
    if (value < 1 || value > max) {
      String p = param();
      throw new InvalidRequestException(
          p,
          "Invalid '"
              + p
              + "': integer "
              + (value < 1 ? "below minimum" : "above maximum")
              + " value. Expected a value "
              + (value < 1 ? ">= 1" : "<= " + max)
              + ", but got "
              + value
              + " instead.");
    }
    return value;
  }

  /** An integer value; {@code Long.MIN_VALUE} when a partial body cut it. */
  private long integer(JsonToken v) throws IOException {
    if (v != VALUE_NUMBER_INT) {
      throw type("an integer", v);
    }
    if (partial && p.currentLocation().getByteOffset() >= body.length) {
      return Long.MIN_VALUE;
    }
    if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
      String p = param();
      throw new InvalidRequestException(
          p, "Invalid '" + p + "': integer out of range (" + this.p.getText() + ").");
    }
    return p.getLongValue();
  }

  private boolean bool(JsonToken v) throws IOException {
    if (v == JsonToken.VALUE_TRUE) {
      return true;
    }
    if (v == JsonToken.VALUE_FALSE || v == VALUE_NULL) {
      return false;
    }
    throw type("a boolean", v);
  }

  private void streamOptions(JsonToken v) throws IOException {
    if (v == VALUE_NULL) {
      return;
    }
    if (v != START_OBJECT) {
      throw type("an object", v);
    }
    while (p.nextToken() == FIELD_NAME) {
      JsonToken w = p.nextToken();
      if (p.currentName().equals("include_usage")) {
        includeUsage = bool(w);
      } else {
        skip(w);
      }
    }
  }

  /** A string (counted) or null; anything else is an error. Returns whether it was a string. */
  private boolean optionalText(JsonToken v) throws IOException {
    if (v == VALUE_STRING) {
      text();
      return true;
    }
    if (v != VALUE_NULL) {
      throw type("a string", v);
    }
    return false;
  }

  private void requiredText(JsonToken v) throws IOException {
    if (v != VALUE_STRING) {
      throw type("a string", v);
    }
    text();
  }

  private String optionalString(JsonToken v) throws IOException {
    if (v == VALUE_STRING) {
      return p.getText();
    }
    if (v != VALUE_NULL) {
      throw type("a string", v);
    }
    return null;
  }

  /** Length in chars of a string value (inline data); a cut string counts what arrived. */
  private long stringLength(JsonToken v) throws IOException {
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
  private void strings(JsonToken v) throws IOException {
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
  private void text() throws IOException {
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

  private void skip(JsonToken v) throws IOException {
    if (v == START_OBJECT || v == START_ARRAY) {
      p.skipChildren();
    }
  }

  // ------------------------------------------------------------------ errors

  /** Whether a parse error is the cut of a partial body rather than bad JSON. */
  private boolean isCut(JsonProcessingException e) {
    if (e instanceof JsonEOFException) {
      return true;
    }
    JsonLocation at = e.getLocation();
    return at != null && at.getByteOffset() >= body.length - 8;
  }

  private InvalidRequestException malformed(IOException e) {
    String detail = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.toString();
    String param = null;
    if (e instanceof JsonProcessingException && detail != null && detail.startsWith("Duplicate")) {
      param = p == null ? null : path(p.getParsingContext());
      return new InvalidRequestException(
          param, "Invalid body: duplicate field '" + param + "' (each field may appear once).");
    }
    String where = "";
    if (e instanceof JsonProcessingException j && j.getLocation() != null) {
      where = " (line " + j.getLocation().getLineNr() + ", column "
          + j.getLocation().getColumnNr() + ")";
    }
    return new InvalidRequestException(
        null, "We could not parse the JSON body of your request: " + detail + where + ".");
  }

  private InvalidRequestException missing(String param) {
    return new InvalidRequestException(param, "Missing required parameter: '" + param + "'.");
  }

  private InvalidRequestException type(String expected, JsonToken got) {
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
  private String param() {
    JsonStreamContext ctx = p.getParsingContext();
    JsonToken t = p.currentToken();
    if (t == START_OBJECT || t == START_ARRAY) {
      ctx = ctx.getParent();
    }
    return path(ctx);
  }

  static String path(JsonStreamContext ctx) {
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

  private static String kind(JsonToken t) {
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
   * The decoded content of a JSON string whose opening quote precedes {@code from} and which is
   * cut at {@code end}: escapes and UTF-8 sequences that are cut are dropped.
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
