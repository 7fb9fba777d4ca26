package dev.tollgate.tokens;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads a request body and counts its input tokens as OpenAI counts them.
 *
 * <ul>
 *   <li>chat.completions: the cookbook's rule — 3 tokens per message, every string value of the
 *       message encoded (role, content, name, ...), +1 per {@code name}, +3 reply priming; content
 *       parts: text encoded, an image a fixed {@value #IMAGE_TOKENS}, audio/file parts their
 *       JSON text; assistant {@code tool_calls} encoded (name + arguments); {@code tools} /
 *       {@code functions} by the cookbook's tool formula.
 *   <li>responses: {@code instructions} encoded, then {@code input} — a string counts as one user
 *       message; items count like chat messages (function calls/outputs: their strings); +3.
 *   <li>completions: {@code prompt} string(s) encoded; token arrays count their length.
 *   <li>embeddings: {@code input} string(s) encoded; token arrays count their length; no output.
 * </ul>
 *
 * <p>User text is encoded as ordinary text: {@code <|endoftext|>} in a message is counted like
 * any other characters, never as a special token.
 */
public final class RequestCounter {
  /** Tokens counted for one image part (OpenAI's low-detail cost). */
  public static final int IMAGE_TOKENS = 85;
  private static final int PER_MESSAGE = 3;
  private static final int PER_NAME = 1;
  private static final int REPLY_PRIMING = 3;
  private static final int MAX_N = 128;

  private final Encodings encodings;
  private final ObjectMapper json;
  private final JsonFactory factory;

  public RequestCounter(Encodings encodings) {
    this.encodings = encodings;
    this.factory = JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(200).build())
        .build();
    this.json = new ObjectMapper(factory);
  }

  /**
   * Parses and counts a body.
   *
   * @param api the API (from the path)
   * @param body UTF-8 JSON
   * @param partial Envoy cut the body short: count what arrived instead of failing on the cut
   * @param bodyFields top-level string fields to report (identity sources)
   * @param configuredEncoding the configured encoding name for a model, or null
   * @throws InvalidRequestException naming the offending field
   */
  public ParsedRequest parse(ApiKind api, byte[] body, boolean partial, Set<String> bodyFields,
      Function<String, String> configuredEncoding) {
    if (partial) {
      return parsePartial(api, body, bodyFields, configuredEncoding);
    }
    JsonNode root;
    try {
      root = json.readTree(body);
    } catch (IOException | RuntimeException e) {
      throw new InvalidRequestException(null,
          "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
              + "HTTP library correctly. The OpenAI API expects a JSON payload.)");
    }
    if (root == null || !root.isObject()) {
      throw new InvalidRequestException(null, "The request body must be a JSON object.");
    }
    JsonNode modelNode = root.get("model");
    if (modelNode == null || modelNode.isNull()) {
      throw new InvalidRequestException("model", "you must provide a model parameter");
    }
    if (!modelNode.isTextual()) {
      throw new InvalidRequestException("model", "Invalid type for 'model': expected a string.");
    }
    String model = modelNode.asText();
    Encoding enc = encoding(model, configuredEncoding);
    long prompt = switch (api) {
      case CHAT_COMPLETIONS -> chat(root, enc, model);
      case RESPONSES -> responses(root, enc);
      case COMPLETIONS -> prompts(root, "prompt", enc, false);
      case EMBEDDINGS -> prompts(root, "input", enc, true);
    };
    long maxOut = switch (api) {
      case CHAT_COMPLETIONS -> firstNonNegative(root, "max_completion_tokens", "max_tokens");
      case RESPONSES -> firstNonNegative(root, "max_output_tokens");
      case COMPLETIONS -> firstNonNegative(root, "max_tokens");
      case EMBEDDINGS -> 0;
    };
    int n = 1;
    JsonNode nNode = root.get("n");
    if (nNode != null && !nNode.isNull() && api != ApiKind.EMBEDDINGS) {
      if (!nNode.isIntegralNumber() || nNode.asLong() < 1 || nNode.asLong() > MAX_N) {
        throw new InvalidRequestException("n", "Invalid 'n': expected an integer from 1 to " + MAX_N + ".");
      }
      n = nNode.asInt();
    }
    boolean stream = bool(root, "stream");
    boolean includeUsage = false;
    JsonNode so = root.get("stream_options");
    if (so != null && !so.isNull()) {
      if (!so.isObject()) {
        throw new InvalidRequestException("stream_options", "Invalid type for 'stream_options': expected an object.");
      }
      JsonNode iu = so.get("include_usage");
      if (iu != null && !iu.isNull() && !iu.isBoolean()) {
        throw new InvalidRequestException("stream_options.include_usage",
            "Invalid type for 'stream_options.include_usage': expected a boolean.");
      }
      includeUsage = iu != null && iu.asBoolean(false);
    }
    Map<String, String> fields = new HashMap<>();
    for (String f : bodyFields) {
      JsonNode v = root.get(f);
      if (v != null && v.isTextual()) {
        fields.put(f, v.asText());
      }
    }
    return new ParsedRequest(api, model, (int) Math.min(Integer.MAX_VALUE, prompt), maxOut, n, stream,
        includeUsage, fields, false);
  }

  private Encoding encoding(String model, Function<String, String> configured) {
    String name = configured == null ? null : configured.apply(model);
    return encodings.encodingFor(model, name);
  }

  // ---- chat.completions ---------------------------------------------------------------------

  private long chat(JsonNode root, Encoding enc, String model) {
    JsonNode messages = root.get("messages");
    if (messages == null || messages.isNull()) {
      throw new InvalidRequestException("messages", "Missing required parameter: 'messages'.");
    }
    if (!messages.isArray()) {
      throw new InvalidRequestException("messages", "Invalid type for 'messages': expected an array of objects.");
    }
    long total = 0;
    int i = 0;
    for (JsonNode m : messages) {
      String at = "messages[" + i + "]";
      if (!m.isObject()) {
        throw new InvalidRequestException(at, "Invalid type for '" + at + "': expected an object.");
      }
      total += PER_MESSAGE + message(m, enc, at);
      i++;
    }
    total += REPLY_PRIMING;
    total += tools(root, enc, model);
    return total;
  }

  private long message(JsonNode m, Encoding enc, String at) {
    long t = 0;
    Iterator<Map.Entry<String, JsonNode>> it = m.properties().iterator();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = e.getKey();
      JsonNode v = e.getValue();
      switch (key) {
        case "content" -> t += content(v, enc, at + ".content");
        case "tool_calls" -> t += strings(v, enc);
        case "function_call" -> t += strings(v, enc);
        case "name" -> {
          if (!v.isTextual()) {
            throw new InvalidRequestException(at + ".name", "Invalid type for '" + at + ".name': expected a string.");
          }
          t += count(enc, v.asText()) + PER_NAME;
        }
        case "role" -> {
          if (!v.isTextual()) {
            throw new InvalidRequestException(at + ".role", "Invalid type for '" + at + ".role': expected a string.");
          }
          t += count(enc, v.asText());
        }
        default -> {
          if (v.isTextual()) {
            t += count(enc, v.asText());
          }
        }
      }
    }
    return t;
  }

  private long content(JsonNode v, Encoding enc, String at) {
    if (v == null || v.isNull()) {
      return 0;
    }
    if (v.isTextual()) {
      return count(enc, v.asText());
    }
    if (!v.isArray()) {
      throw new InvalidRequestException(at, "Invalid type for '" + at + "': expected a string or an array of parts.");
    }
    long t = 0;
    int i = 0;
    for (JsonNode part : v) {
      String pat = at + "[" + i++ + "]";
      if (part.isTextual()) {
        t += count(enc, part.asText());
        continue;
      }
      if (!part.isObject()) {
        throw new InvalidRequestException(pat, "Invalid type for '" + pat + "': expected an object.");
      }
      String type = part.path("type").asText("");
      switch (type) {
        case "text", "input_text", "output_text", "refusal" -> {
          JsonNode text = part.has("text") ? part.get("text") : part.get("refusal");
          if (text != null && text.isTextual()) {
            t += count(enc, text.asText());
          } else if (text != null && !text.isNull()) {
            throw new InvalidRequestException(pat + ".text", "Invalid type for '" + pat + ".text': expected a string.");
          }
        }
        case "image_url", "input_image" -> t += IMAGE_TOKENS;
        default -> t += strings(part, enc);
      }
    }
    return t;
  }

  /** The cookbook's tool formula (flat properties); nested schemas add their JSON text. */
  private long tools(JsonNode root, Encoding enc, String model) {
    JsonNode tools = root.get("tools");
    JsonNode functions = root.get("functions");
    if ((tools == null || tools.isNull()) && (functions == null || functions.isNull())) {
      return 0;
    }
    boolean o200k = enc == encodings.get(EncodingType.O200K_BASE);
    int funcInit = o200k ? 7 : 10;
    int propInit = 3;
    int propKey = 3;
    int enumInit = -3;
    int enumItem = 3;
    int funcEnd = 12;
    long t = 0;
    int count = 0;
    for (JsonNode list : new JsonNode[] {tools, functions}) {
      if (list == null || list.isNull()) {
        continue;
      }
      String name = list == tools ? "tools" : "functions";
      if (!list.isArray()) {
        throw new InvalidRequestException(name, "Invalid type for '" + name + "': expected an array.");
      }
      for (JsonNode tool : list) {
        JsonNode f = tool.has("function") ? tool.get("function") : tool;
        if (!f.isObject()) {
          t += strings(tool, enc);
          continue;
        }
        count++;
        t += funcInit;
        String fname = f.path("name").asText("");
        String desc = stripPeriod(f.path("description").asText(""));
        t += count(enc, fname + ":" + desc);
        JsonNode props = f.path("parameters").path("properties");
        if (props.isObject() && props.size() > 0) {
          t += propInit;
          Iterator<Map.Entry<String, JsonNode>> it = props.properties().iterator();
          while (it.hasNext()) {
            Map.Entry<String, JsonNode> p = it.next();
            t += propKey;
            JsonNode prop = p.getValue();
            JsonNode en = prop.get("enum");
            if (en != null && en.isArray()) {
              t += enumInit;
              for (JsonNode item : en) {
                t += enumItem + count(enc, item.asText());
              }
            }
            t += count(enc, p.getKey() + ":" + prop.path("type").asText("") + ":"
                + stripPeriod(prop.path("description").asText("")));
            for (String nested : new String[] {"properties", "items", "anyOf", "oneOf"}) {
              if (prop.has(nested)) {
                t += count(enc, prop.get(nested).toString());
              }
            }
          }
        }
      }
    }
    if (count > 0) {
      t += funcEnd;
    }
    return t;
  }

  private static String stripPeriod(String s) {
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }

  // ---- responses ------------------------------------------------------------------------------

  private long responses(JsonNode root, Encoding enc) {
    long t = 0;
    JsonNode instructions = root.get("instructions");
    if (instructions != null && !instructions.isNull()) {
      if (!instructions.isTextual()) {
        throw new InvalidRequestException("instructions", "Invalid type for 'instructions': expected a string.");
      }
      t += PER_MESSAGE + 1 + count(enc, instructions.asText());
    }
    JsonNode input = root.get("input");
    if (input == null || input.isNull()) {
      if (root.hasNonNull("previous_response_id") || root.hasNonNull("prompt")) {
        return t + REPLY_PRIMING;
      }
      throw new InvalidRequestException("input", "Missing required parameter: 'input'.");
    }
    if (input.isTextual()) {
      t += PER_MESSAGE + 1 + count(enc, input.asText());
    } else if (input.isArray()) {
      int i = 0;
      for (JsonNode item : input) {
        String at = "input[" + i++ + "]";
        if (item.isTextual()) {
          t += PER_MESSAGE + count(enc, item.asText());
          continue;
        }
        if (!item.isObject()) {
          throw new InvalidRequestException(at, "Invalid type for '" + at + "': expected an object.");
        }
        t += PER_MESSAGE;
        Iterator<Map.Entry<String, JsonNode>> it = item.properties().iterator();
        while (it.hasNext()) {
          Map.Entry<String, JsonNode> e = it.next();
          switch (e.getKey()) {
            case "type", "id", "status", "call_id" -> { }
            case "content" -> t += content(e.getValue(), enc, at + ".content");
            default -> t += strings(e.getValue(), enc);
          }
        }
      }
    } else {
      throw new InvalidRequestException("input", "Invalid type for 'input': expected a string or an array of input items.");
    }
    t += REPLY_PRIMING;
    t += tools(root, enc, null);
    return t;
  }

  // ---- completions / embeddings ---------------------------------------------------------------

  private long prompts(JsonNode root, String field, Encoding enc, boolean required) {
    JsonNode p = root.get(field);
    if (p == null || p.isNull()) {
      if (required) {
        throw new InvalidRequestException(field, "Missing required parameter: '" + field + "'.");
      }
      return 0;
    }
    String bad = "Invalid type for '" + field + "': expected a string, an array of strings, an array of "
        + "integers (tokens) or an array of arrays of integers.";
    if (p.isTextual()) {
      return count(enc, p.asText());
    }
    if (!p.isArray()) {
      throw new InvalidRequestException(field, bad);
    }
    long t = 0;
    int i = 0;
    for (JsonNode x : p) {
      if (x.isTextual()) {
        t += count(enc, x.asText());
      } else if (x.isIntegralNumber()) {
        t += 1;
      } else if (x.isArray()) {
        for (JsonNode tok : x) {
          if (!tok.isIntegralNumber()) {
            throw new InvalidRequestException(field + "[" + i + "]", bad);
          }
        }
        t += x.size();
      } else {
        throw new InvalidRequestException(field + "[" + i + "]", bad);
      }
      i++;
    }
    return t;
  }

  // ---- helpers --------------------------------------------------------------------------------

  private long strings(JsonNode v, Encoding enc) {
    if (v == null) {
      return 0;
    }
    if (v.isTextual()) {
      return count(enc, v.asText());
    }
    long t = 0;
    if (v.isContainerNode()) {
      for (JsonNode c : v) {
        t += strings(c, enc);
      }
    }
    return t;
  }

  private static long firstNonNegative(JsonNode root, String... names) {
    for (String n : names) {
      JsonNode v = root.get(n);
      if (v == null || v.isNull()) {
        continue;
      }
      if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
        throw new InvalidRequestException(n, "Invalid '" + n + "': expected a non-negative integer.");
      }
      return v.asLong();
    }
    return -1;
  }

  private static boolean bool(JsonNode root, String name) {
    JsonNode v = root.get(name);
    if (v == null || v.isNull()) {
      return false;
    }
    if (!v.isBoolean()) {
      throw new InvalidRequestException(name, "Invalid type for '" + name + "': expected a boolean.");
    }
    return v.asBoolean();
  }

  private static int count(Encoding enc, String text) {
    return text.isEmpty() ? 0 : enc.countTokensOrdinary(text);
  }

  // ---- partial bodies -------------------------------------------------------------------------

  /**
   * A body Envoy cut at its byte limit: stream through what arrived, take {@code model} if it
   * came, encode every string value (except {@code model}) and add the per-message overhead for
   * each object seen in {@code messages} / {@code input}. The cut itself is not an error.
   */
  private ParsedRequest parsePartial(ApiKind api, byte[] body, Set<String> bodyFields,
      Function<String, String> configuredEncoding) {
    String model = null;
    StringBuilder text = new StringBuilder();
    int messages = 0;
    long tokenArrayItems = 0;
    Map<String, String> fields = new HashMap<>();
    boolean stream = false;
    long consumed = 0;
    try (JsonParser p = factory.createParser(body)) {
      JsonToken first = p.nextToken();
      if (first != JsonToken.START_OBJECT) {
        throw new InvalidRequestException(null, "The request body must be a JSON object.");
      }
      int depth = 1;
      String topField = null;
      JsonToken tok;
      while ((tok = p.nextToken()) != null) {
        switch (tok) {
          case START_OBJECT, START_ARRAY -> {
            if (tok == JsonToken.START_OBJECT && depth == 2
                && ("messages".equals(topField) || "input".equals(topField))) {
              messages++;
            }
            depth++;
          }
          case END_OBJECT, END_ARRAY -> depth--;
          case FIELD_NAME -> {
            if (depth == 1) {
              topField = p.currentName();
            }
          }
          case VALUE_STRING -> {
            if (depth == 1 && "model".equals(topField)) {
              model = p.getText();
            } else {
              if (depth == 1 && bodyFields.contains(topField)) {
                fields.put(topField, p.getText());
              }
              text.append(p.getText()).append('\n');
            }
          }
          case VALUE_NUMBER_INT -> {
            if (depth >= 2 && ("prompt".equals(topField) || "input".equals(topField))) {
              tokenArrayItems++;
            }
          }
          case VALUE_TRUE -> stream |= depth == 1 && "stream".equals(topField);
          default -> { }
        }
        consumed = p.currentLocation().getByteOffset();
      }
    } catch (IOException e) {
      // the cut: the unfinished value (typically a long string) is counted as raw text
      if (consumed >= 0 && consumed < body.length) {
        text.append(new String(body, (int) consumed, body.length - (int) consumed, StandardCharsets.UTF_8));
      }
    }
    Encoding enc = encoding(model, configuredEncoding);
    long prompt = count(enc, text.toString()) + (long) messages * PER_MESSAGE + REPLY_PRIMING + tokenArrayItems;
    return new ParsedRequest(api, model, (int) Math.min(Integer.MAX_VALUE, prompt), -1, 1, stream, false,
        fields, true);
  }
}
