package dev.tollgate.tokens;

import static com.fasterxml.jackson.core.JsonToken.END_ARRAY;
import static com.fasterxml.jackson.core.JsonToken.FIELD_NAME;
import static com.fasterxml.jackson.core.JsonToken.START_ARRAY;
import static com.fasterxml.jackson.core.JsonToken.START_OBJECT;
import static com.fasterxml.jackson.core.JsonToken.VALUE_NULL;

import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/** {@code /v1/chat/completions}: messages, tools, response format, output parameters. */
final class ChatCompletionsReader implements ApiReader {
  private final JsonCursor in;
  private final MediaParts media;
  private final ToolSchemas tools;
  private boolean sawMessages;
  private long messages;
  private long names;
  private long maxTokens = -1;
  private long maxCompletionTokens = -1;
  private long n = 1;
  private boolean stream;
  private boolean includeUsage;

  ChatCompletionsReader(JsonCursor in) {
    this.in = in;
    this.media = new MediaParts(in);
    this.tools = new ToolSchemas(in);
  }

  @Override
  public boolean field(String name, JsonToken v) throws IOException {
    switch (name) {
      case "messages":
        messages(v);
        return true;
      case "tools":
        tools.tools(v, false);
        return true;
      case "functions":
        tools.legacyFunctions(v);
        return true;
      case "response_format":
        tools.schemaHolderIn(v, "json_schema");
        return true;
      case "max_tokens":
        maxTokens = OutputParams.maxTokens(in, v);
        return true;
      case "max_completion_tokens":
        maxCompletionTokens = OutputParams.maxTokens(in, v);
        return true;
      case "n":
        n = OutputParams.positive(in, v, OutputParams.MAX_N);
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
  public void requireComplete() {
    if (!sawMessages) {
      throw JsonCursor.missing("messages");
    }
  }

  @Override
  public long extraPromptTokens(String model, CountingEncoding encoding) {
    return media.tokens() + tools.tokens(encoding) + Cookbook.chatOverhead(model, messages, names);
  }

  @Override
  public long maxOutputTokens() {
    return maxCompletionTokens >= 0 ? maxCompletionTokens : maxTokens;
  }

  @Override
  public long choices() {
    return n;
  }

  @Override
  public boolean stream() {
    return stream;
  }

  @Override
  public boolean includeUsage() {
    return includeUsage;
  }

  private void messages(JsonToken v) throws IOException {
    if (v == VALUE_NULL) {
      return;
    }
    if (v != START_ARRAY) {
      throw in.type("an array", v);
    }
    sawMessages = true;
    JsonToken t;
    while ((t = in.next()) != END_ARRAY) {
      if (t != START_OBJECT) {
        throw in.type("an object", t);
      }
      messages++;
      message();
    }
  }

  private void message() throws IOException {
    while (in.next() == FIELD_NAME) {
      String key = in.name();
      JsonToken v = in.next();
      switch (key) {
        case "content":
          media.content(v);
          break;
        case "role":
          in.requiredText(v);
          break;
        case "name":
          if (in.optionalText(v)) {
            names++;
          }
          break;
        default:
          in.strings(v); // every string value of a message counts (cookbook)
      }
    }
  }
}
