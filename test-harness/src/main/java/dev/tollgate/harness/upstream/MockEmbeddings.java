package dev.tollgate.harness.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;

/**
 * The mock's {@code /v1/embeddings} answer, shaped as the API's: one {@code data} item per input (a
 * string, a list of strings, a token array or a list of token arrays), each with its {@code index};
 * {@code encoding_format: base64} gives each vector as base64 of little-endian float32s (the
 * official SDKs ask for it), {@code float} or nothing as a JSON array; {@code dimensions} shortens
 * the vector (text-embedding-3 models only) and re-normalizes it. A vector is a unit vector drawn
 * from a seed of its input, so the same input always gets the same vector, in either format.
 */
final class MockEmbeddings {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private MockEmbeddings() {}

  /** A request the API would refuse with 400: the message and the parameter. */
  static final class Invalid extends Exception {
    private static final long serialVersionUID = 1L;
    private final String param;

    Invalid(String message, String param) {
      super(message, null, false, false);
      this.param = param;
    }

    String param() {
      return param;
    }
  }

  /**
   * The response body.
   *
   * @param request the request JSON
   * @param model the request's model
   * @param promptTokens the tokens of every input together
   */
  static ObjectNode response(JsonNode request, String model, long promptTokens) throws Invalid {
    List<String> inputs = inputs(request.path("input"));
    boolean base64 = base64(request.path("encoding_format"));
    int size = dimensions(request.path("dimensions"), model);
    ObjectNode o = NODES.objectNode().put("object", "list");
    ArrayNode data = o.putArray("data");
    for (int i = 0; i < inputs.size(); i++) {
      float[] v = vector(inputs.get(i), nativeDimensions(model), size);
      ObjectNode item = data.addObject().put("object", "embedding").put("index", i);
      if (base64) {
        item.put("embedding", toBase64(v));
      } else {
        ArrayNode a = item.putArray("embedding");
        for (float f : v) {
          a.add(f);
        }
      }
    }
    o.put("model", model);
    o.putObject("usage").put("prompt_tokens", promptTokens).put("total_tokens", promptTokens);
    return o;
  }

  /** Each input as a seed text: the string, or the token ids as written. */
  private static List<String> inputs(JsonNode input) throws Invalid {
    List<String> out = new ArrayList<>();
    if (input.isTextual()) {
      out.add("s:" + input.asText());
    } else if (input.isArray() && !input.isEmpty() && input.get(0).isIntegralNumber()) {
      out.add("t:" + input); // one token array
    } else if (input.isArray() && !input.isEmpty()) {
      for (JsonNode one : input) {
        if (one.isTextual()) {
          out.add("s:" + one.asText());
        } else if (one.isArray() && !one.isEmpty()) {
          out.add("t:" + one);
        } else {
          throw new Invalid(
              "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
              "input");
        }
      }
    } else {
      throw new Invalid(
          "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
          "input");
    }
    return out;
  }

  private static boolean base64(JsonNode format) throws Invalid {
    if (format.isMissingNode() || format.isNull() || "float".equals(format.asText())) {
      return false;
    }
    if ("base64".equals(format.asText())) {
      return true;
    }
    throw new Invalid(
        "Invalid value for 'encoding_format': expected 'float' or 'base64'.", "encoding_format");
  }

  private static int dimensions(JsonNode dimensions, String model) throws Invalid {
    int full = nativeDimensions(model);
    if (dimensions.isMissingNode() || dimensions.isNull()) {
      return full;
    }
    if (!model.startsWith("text-embedding-3")) {
      throw new Invalid("This model does not support specifying dimensions.", "dimensions");
    }
    if (!dimensions.isIntegralNumber() || dimensions.asLong() < 1 || dimensions.asLong() > full) {
      throw new Invalid(
          "Invalid value for 'dimensions': expected an integer from 1 to " + full + ".",
          "dimensions");
    }
    return dimensions.asInt();
  }

  /** The model's full vector size. */
  static int nativeDimensions(String model) {
    return model.startsWith("text-embedding-3-large") ? 3072 : 1536;
  }

  /** The first {@code size} of the full vector for this input, scaled back to unit length. */
  static float[] vector(String seedText, int full, int size) {
    Random r = new Random(seed(seedText));
    double[] v = new double[full];
    for (int i = 0; i < full; i++) {
      v[i] = r.nextGaussian();
    }
    double norm = 0;
    for (int i = 0; i < size; i++) {
      norm += v[i] * v[i];
    }
    norm = Math.sqrt(norm);
    float[] out = new float[size];
    for (int i = 0; i < size; i++) {
      out[i] = (float) (v[i] / norm);
    }
    return out;
  }

  private static long seed(String text) {
    long h = 1125899906842597L;
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      h = 31 * h + b;
    }
    return h;
  }

  /** Base64 of the little-endian float32s, as the API encodes them. */
  static String toBase64(float[] v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : v) {
      b.putFloat(f);
    }
    return Base64.getEncoder().encodeToString(b.array());
  }
}
