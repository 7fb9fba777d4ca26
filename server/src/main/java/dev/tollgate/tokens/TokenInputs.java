package dev.tollgate.tokens;

import static com.fasterxml.jackson.core.JsonToken.END_ARRAY;
import static com.fasterxml.jackson.core.JsonToken.START_ARRAY;
import static com.fasterxml.jackson.core.JsonToken.VALUE_NULL;
import static com.fasterxml.jackson.core.JsonToken.VALUE_NUMBER_INT;
import static com.fasterxml.jackson.core.JsonToken.VALUE_STRING;

import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * Completions' {@code prompt} and embeddings' {@code input}: a string, strings, a token array or
 * token arrays. Strings are text; arrays count their lengths. Not thread-safe.
 */
final class TokenInputs {
  private final JsonCursor in;
  private long tokenIds;

  TokenInputs(JsonCursor in) {
    this.in = in;
  }

  /** Tokens given as token ids so far. */
  long tokens() {
    return tokenIds;
  }

  /** Reads one value; returns the number of inputs (1 for a string or a flat token array). */
  long read(JsonToken v) throws IOException {
    if (v == VALUE_STRING) {
      in.text();
      return 1;
    }
    if (v == VALUE_NULL) {
      return 1;
    }
    if (v != START_ARRAY) {
      throw in.type("a string or an array", v);
    }
    long count = 0;
    boolean flat = false;
    JsonToken t;
    while ((t = in.next()) != END_ARRAY) {
      if (t == VALUE_STRING) {
        in.text();
        count++;
      } else if (t == VALUE_NUMBER_INT) {
        tokenIds++;
        flat = true;
      } else if (t == START_ARRAY) {
        count++;
        JsonToken e;
        while ((e = in.next()) != END_ARRAY) {
          if (e != VALUE_NUMBER_INT) {
            throw in.type("an integer", e);
          }
          tokenIds++;
        }
      } else {
        throw in.type("a string, an integer or an array", t);
      }
    }
    return Math.max(1, count + (flat ? 1 : 0));
  }
}
