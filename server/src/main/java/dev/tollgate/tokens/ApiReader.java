package dev.tollgate.tokens;

import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * The fields one API reads from a request body, and what they add up to. {@code model} is read by
 * {@link RequestParse}; every other top-level field is offered here. Not thread-safe.
 */
interface ApiReader {
  /** Reads a top-level field whose value starts at {@code v}; false when this API ignores it. */
  boolean field(String name, JsonToken v) throws IOException;

  /** Throws when a required field was not seen (only for a whole body). */
  void requireComplete();

  /** Tokens beyond the counted texts: message overhead, tools, estimates. */
  long extraPromptTokens(String model, CountingEncoding encoding);

  /** The output limit the request sets, -1 when none. */
  long maxOutputTokens();

  /** Completions billed for: {@code n} and the like. */
  default long choices() {
    return 1;
  }

  /** Whether the request asks for a stream. */
  boolean stream();

  /** Whether a streamed answer will carry usage. */
  boolean includeUsage();

  /** The reader for an API. */
  static ApiReader of(ApiKind api, JsonCursor in) {
    return switch (api) {
      case CHAT_COMPLETIONS -> new ChatCompletionsReader(in);
      case RESPONSES -> new ResponsesReader(in);
      case COMPLETIONS -> new CompletionsReader(in);
      case EMBEDDINGS -> new EmbeddingsReader(in);
    };
  }
}
