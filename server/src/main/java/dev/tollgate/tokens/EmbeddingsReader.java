package dev.tollgate.tokens;

import static com.fasterxml.jackson.core.JsonToken.VALUE_NULL;

import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/** {@code /v1/embeddings}: {@code input}; no output, no stream. */
final class EmbeddingsReader implements ApiReader {
  private final TokenInputs inputs;
  private boolean sawInput;

  EmbeddingsReader(JsonCursor in) {
    this.inputs = new TokenInputs(in);
  }

  @Override
  public boolean field(String name, JsonToken v) throws IOException {
    if (name.equals("input")) {
      sawInput = v != VALUE_NULL;
      inputs.read(v);
      return true;
    }
    return false;
  }

  @Override
  public void requireComplete() {
    if (!sawInput) {
      throw JsonCursor.missing("input");
    }
  }

  @Override
  public long extraPromptTokens(String model, CountingEncoding encoding) {
    return inputs.tokens();
  }

  @Override
  public long maxOutputTokens() {
    return 0;
  }

  @Override
  public boolean stream() {
    return false;
  }

  @Override
  public boolean includeUsage() {
    return false;
  }
}
