package dev.tollgate.tokens;

import static com.fasterxml.jackson.core.JsonToken.END_ARRAY;
import static com.fasterxml.jackson.core.JsonToken.FIELD_NAME;
import static com.fasterxml.jackson.core.JsonToken.START_ARRAY;
import static com.fasterxml.jackson.core.JsonToken.START_OBJECT;
import static com.fasterxml.jackson.core.JsonToken.VALUE_NULL;
import static com.fasterxml.jackson.core.JsonToken.VALUE_STRING;

import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * {@code /v1/responses}: instructions, input items, tools, text format, prompt variables. A
 * streamed response always reports usage.
 */
final class ResponsesReader implements ApiReader {
  private final JsonCursor in;
  private final MediaParts media;
  private final ToolSchemas tools;
  private long messages;
  private long maxOutputTokens = -1;
  private boolean stream;

  ResponsesReader(JsonCursor in) {
    this.in = in;
    this.media = new MediaParts(in);
    this.tools = new ToolSchemas(in);
  }

  @Override
  public boolean field(String name, JsonToken v) throws IOException {
    switch (name) {
      case "instructions":
        instructions(v);
        return true;
      case "input":
        input(v);
        return true;
      case "tools":
        tools.tools(v, true);
        return true;
      case "text":
        tools.schemaHolderIn(v, "format");
        return true;
      case "prompt":
        promptTemplate(v);
        return true;
      case "max_output_tokens":
        maxOutputTokens = OutputParams.maxTokens(in, v);
        return true;
      case "stream":
        stream = in.bool(v);
        return true;
      default:
        return false;
    }
  }

  @Override
  public void requireComplete() {}

  @Override
  public long extraPromptTokens(String model, CountingEncoding encoding) {
    return media.tokens() + tools.tokens(encoding) + Cookbook.responsesOverhead(messages);
  }

  @Override
  public long maxOutputTokens() {
    return maxOutputTokens;
  }

  @Override
  public boolean stream() {
    return stream;
  }

  @Override
  public boolean includeUsage() {
    return stream;
  }

  private void instructions(JsonToken v) throws IOException {
    if (v == VALUE_STRING) {
      messages++;
      in.count("system");
      in.text();
    } else if (v == START_ARRAY) { // input items, as in a stored response
      itemArray();
    } else if (v != VALUE_NULL) {
      throw in.type("a string", v);
    }
  }

  private void input(JsonToken v) throws IOException {
    if (v == VALUE_STRING) {
      messages++;
      in.count("user");
      in.text();
    } else if (v == START_ARRAY) {
      itemArray();
    } else if (v != VALUE_NULL) {
      throw in.type("a string or an array", v);
    }
  }

  private void itemArray() throws IOException {
    JsonToken t;
    while ((t = in.next()) != END_ARRAY) {
      if (t == START_OBJECT) {
        messages++;
        inputItem();
      } else if (t == VALUE_STRING) {
        messages++;
        in.count("user");
        in.text();
      } else {
        throw in.type("an object", t);
      }
    }
  }

  /** A message, function_call, function_call_output, reasoning or other input item. */
  private void inputItem() throws IOException {
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
        case "output": // function_call_output: a string or content parts
          media.content(v);
          break;
        default:
          if (JsonCursor.NOT_TEXT.contains(key)) {
            in.skip(v);
          } else {
            in.strings(v);
          }
      }
    }
  }

  /** A reusable prompt reference: its variables are text. */
  private void promptTemplate(JsonToken v) throws IOException {
    if (v != START_OBJECT) {
      in.skip(v);
      return;
    }
    while (in.next() == FIELD_NAME) {
      JsonToken w = in.next();
      if (in.name().equals("variables")) {
        in.strings(w);
      } else {
        in.skip(w);
      }
    }
  }
}
