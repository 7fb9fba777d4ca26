package dev.tollgate.tokens;

import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * {@code /v1/completions}: {@code prompt} and {@code suffix}; billed for {@code max(n, best_of)}
 * completions per prompt.
 */
final class CompletionsReader implements ApiReader {
  private final JsonCursor in;
  private final TokenInputs inputs;
  private long prompts = 1;
  private long maxTokens = -1;
  private long n = 1;
  private long bestOf = 1;
  private boolean stream;
  private boolean includeUsage;

  CompletionsReader(JsonCursor in) {
    this.in = in;
    this.inputs = new TokenInputs(in);
  }

  @Override
  public boolean field(String name, JsonToken v) throws IOException {
    switch (name) {
      case "prompt":
        prompts = inputs.read(v);
        return true;
      case "suffix":
        in.optionalText(v);
        return true;
      case "max_tokens":
        maxTokens = OutputParams.maxTokens(in, v);
        return true;
      case "n":
        n = OutputParams.positive(in, v, OutputParams.MAX_N);
        return true;
      case "best_of":
        bestOf = OutputParams.positive(in, v, OutputParams.MAX_BEST_OF);
        return true;
      case "stream":
        stream = in.bool(v);
        return true;
      case "stream_options":
        includeUsage = OutputParams.includeUsage(in, v, includeUsage);
        return true;
      default:
        return false;
    }
  }

  @Override
  public void requireComplete() {}

  @Override
  public long extraPromptTokens(String model, CountingEncoding encoding) {
    return inputs.tokens();
  }

  @Override
  public long maxOutputTokens() {
    return maxTokens;
  }

  @Override
  public long choices() {
    return Math.max(n, bestOf) * Math.max(1, prompts);
  }

  @Override
  public boolean stream() {
    return stream;
  }

  @Override
  public boolean includeUsage() {
    return includeUsage;
  }
}
