package dev.tollgate.tokens;

import static com.fasterxml.jackson.core.JsonToken.FIELD_NAME;
import static com.fasterxml.jackson.core.JsonToken.START_OBJECT;
import static com.fasterxml.jackson.core.JsonToken.VALUE_NULL;

import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/** The request's output parameters and their bounds: output limits, {@code n}, stream options. */
final class OutputParams {
  static final int MAX_N = 128;

  /**
   * Largest {@code max_tokens} / {@code max_completion_tokens} / {@code max_output_tokens} accepted
   * (the API's integers are 32-bit); times {@code n} and the prompt count it stays far from
   * overflowing a long.
   */
  static final long MAX_OUTPUT_TOKENS = Integer.MAX_VALUE;

  static final int MAX_BEST_OF = 20;

  private OutputParams() {}

  /** A maximum-output-tokens parameter: 0..{@value #MAX_OUTPUT_TOKENS}, -1 when null or cut. */
  static long maxTokens(JsonCursor in, JsonToken v) throws IOException {
    if (v == VALUE_NULL) {
      return -1;
    }
    long value = in.integer(v);
    if (value == Long.MIN_VALUE) {
      return -1; // cut by the size limit
    }
    if (value < 0 || value > MAX_OUTPUT_TOKENS) {
      String p = in.param();
      throw new InvalidRequestException(
          p,
          "Invalid '"
              + p
              + "': integer "
              + (value < 0
                  ? "below minimum value. Expected a value >= 0"
                  : "above maximum value. Expected a value <= " + MAX_OUTPUT_TOKENS)
              + ", but got "
              + value
              + " instead.");
    }
    return value;
  }

  /** An integer 1..{@code max}; 1 when null or cut. */
  static long positive(JsonCursor in, JsonToken v, long max) throws IOException {
    if (v == VALUE_NULL) {
      return 1;
    }
    long value = in.integer(v);
    if (value == Long.MIN_VALUE) {
      return 1;
    }
    if (value < 1 || value > max) {
      String p = in.param();
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

  /**
   * {@code stream_options}: returns its {@code include_usage}, or {@code current} when it has none.
   */
  static boolean includeUsage(JsonCursor in, JsonToken v, boolean current) throws IOException {
    if (v == VALUE_NULL) {
      return current;
    }
    if (v != START_OBJECT) {
      throw in.type("an object", v);
    }
    boolean includeUsage = current;
    while (in.next() == FIELD_NAME) {
      JsonToken w = in.next();
      if (in.name().equals("include_usage")) {
        includeUsage = in.bool(w);
      } else {
        in.skip(w);
      }
    }
    return includeUsage;
  }
}
