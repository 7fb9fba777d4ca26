package dev.tollgate.admission;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * An error as the OpenAI API returns it: {@code {"error":{"message","type","param","code"}}}.
 *
 * @param status HTTP status
 * @param message human-readable message (never holds a secret)
 * @param type error type ({@code invalid_request_error}, {@code tokens}, ...)
 * @param param the offending parameter, or null
 * @param code machine-readable code, or null
 */
public record OpenAiError(int status, String message, String type, String param, String code) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The response body. */
  public String toJson() {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode e = root.putObject("error");
    e.put("message", message);
    e.put("type", type);
    if (param == null) {
      e.putNull("param");
    } else {
      e.put("param", param);
    }
    if (code == null) {
      e.putNull("code");
    } else {
      e.put("code", code);
    }
    try {
      return JSON.writeValueAsString(root);
    } catch (JsonProcessingException ex) {
      throw new IllegalStateException(ex);
    }
  }

  static OpenAiError invalidApiKey(String message) {
    return new OpenAiError(401, message, "invalid_request_error", null, "invalid_api_key");
  }

  static OpenAiError invalidRequest(String param, String message) {
    return new OpenAiError(400, message, "invalid_request_error", param, null);
  }
}
