package dev.tollgate.tokens;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.knuddels.jtokkit.api.Encoding;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;

/**
 * Follows one response and works out its usage: the provider's {@code usage} when it reports
 * one (chat/completions final chunk or body, Responses {@code response.completed} /
 * {@code .incomplete} / {@code .failed}, embeddings body), else the output deltas tokenized.
 * Streams are read event by event; a JSON body is kept only up to a bound.
 *
 * <p>Only events that can carry a usage or an error (their data mentions {@code "usage"} or
 * {@code "error"}) are parsed as they pass. The others — the deltas — are kept as they came (up to
 * {@link #MAX_PENDING_CHARS}, beyond which they are parsed and counted to bound memory) and are
 * parsed and tokenized only if the stream ends without a usage: with {@code include_usage}, the
 * usual case, a stream costs one JSON parse.
 */
public final class ResponseUsage {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Largest SSE line kept (an event's data line). */
  public static final int MAX_LINE_BYTES = 1 << 20;
  /** Largest non-streamed JSON body kept for accounting. */
  public static final int MAX_JSON_BYTES = 16 << 20;
  /** Delta events kept unparsed, in characters, before they are counted as they come. */
  public static final int MAX_PENDING_CHARS = 1 << 20;

  private final ApiKind api;
  private final Encoding encoding;
  private final long promptTokens;
  private final SseParser sse;
  private final ByteArrayOutputStream json = new ByteArrayOutputStream();
  private boolean streaming;
  private boolean jsonTooLarge;
  private Usage reported;
  private long deltaTokens;
  private long events;
  private boolean errorEvent;
  private final ArrayList<String[]> pending = new ArrayList<>(); // {event, data}
  private long pendingChars;

  /**
   * @param api the API of the request
   * @param encoding the model's encoding, for the deltas
   * @param promptTokens the admission's prompt count, used when the provider reports nothing
   */
  public ResponseUsage(ApiKind api, Encoding encoding, long promptTokens) {
    this.api = api;
    this.encoding = encoding;
    this.promptTokens = promptTokens;
    this.sse = new SseParser(this::onEvent, MAX_LINE_BYTES);
  }

  /** Whether the body is an event stream (from {@code content-type}). */
  public void streaming(boolean streaming) {
    this.streaming = streaming;
  }

  /** The next decoded bytes of the body. */
  public void feed(byte[] bytes, int off, int len) {
    if (len <= 0) {
      return;
    }
    if (streaming) {
      sse.feed(bytes, off, len);
    } else if (!jsonTooLarge) {
      if (json.size() + len > MAX_JSON_BYTES) {
        jsonTooLarge = true;
        json.reset();
      } else {
        json.write(bytes, off, len);
      }
    }
  }

  /** The body is complete (or cut): parse what is left. */
  public void finish() {
    if (streaming) {
      sse.finish();
    } else if (json.size() > 0) {
      try {
        JsonNode root = JSON.readTree(json.toByteArray());
        if (root != null) {
          take(root.get("usage"));
          if (reported == null) {
            countOutput(root);
          }
        }
      } catch (IOException e) {
        // not JSON (or cut): nothing reported
      }
      json.reset();
    }
  }

  /** The usage: the provider's when reported, else prompt + tokenized deltas. */
  public Usage usage() {
    if (reported != null) {
      return reported;
    }
    countPending();
    return new Usage(promptTokens, 0, api == ApiKind.EMBEDDINGS ? 0 : deltaTokens, 0, false);
  }

  /** True when the provider's usage was seen. */
  public boolean reported() {
    return reported != null;
  }

  /** Events parsed so far. */
  public long events() {
    return events;
  }

  /** An {@code error} event (or error object) was seen. */
  public boolean sawError() {
    return errorEvent;
  }

  private void onEvent(String event, String data) {
    events++;
    if (data.equals("[DONE]")) {
      return;
    }
    boolean mayReport = "error".equals(event) || data.contains("\"usage\"") || data.contains("\"error\"");
    if (mayReport) {
      parse(event, data);
    } else if (reported == null) {
      pending.add(new String[] {event, data});
      pendingChars += data.length();
      if (pendingChars > MAX_PENDING_CHARS) {
        countPending();
      }
    }
    // else: a delta after the provider's usage, which replaces the delta count anyway
  }

  private void countPending() {
    for (String[] e : pending) {
      parse(e[0], e[1]);
    }
    pending.clear();
    pendingChars = 0;
  }

  private void parse(String event, String data) {
    JsonNode root;
    try {
      root = JSON.readTree(data);
    } catch (IOException e) {
      return;
    }
    if (root == null || !root.isObject()) {
      return;
    }
    String type = event != null ? event : root.path("type").asText("");
    if (api == ApiKind.RESPONSES || type.startsWith("response.")) {
      switch (type) {
        case "response.completed", "response.incomplete", "response.failed" -> take(root.path("response").get("usage"));
        case "response.output_text.delta", "response.refusal.delta", "response.function_call_arguments.delta",
            "response.reasoning_summary_text.delta" -> countText(root.path("delta"));
        case "error" -> errorEvent = true;
        default -> { }
      }
      return;
    }
    if ("error".equals(type) || root.has("error")) {
      errorEvent = true;
      return;
    }
    JsonNode usage = root.get("usage");
    if (usage != null && usage.isObject()) {
      take(usage);
    }
    for (JsonNode choice : root.path("choices")) {
      JsonNode delta = choice.get("delta");
      if (delta != null) {
        countText(delta.get("content"));
        countText(delta.get("refusal"));
        for (JsonNode call : delta.path("tool_calls")) {
          countText(call.path("function").get("name"));
          countText(call.path("function").get("arguments"));
        }
      } else {
        countText(choice.get("text"));
      }
    }
  }

  private void countOutput(JsonNode root) {
    for (JsonNode choice : root.path("choices")) {
      countText(choice.path("message").get("content"));
      countText(choice.get("text"));
    }
    for (JsonNode item : root.path("output")) {
      for (JsonNode c : item.path("content")) {
        countText(c.get("text"));
      }
    }
  }

  private void countText(JsonNode text) {
    if (text != null && text.isTextual() && !text.asText().isEmpty()) {
      deltaTokens += encoding.countTokensOrdinary(text.asText());
    }
  }

  private void take(JsonNode u) {
    if (u == null || !u.isObject()) {
      return;
    }
    pending.clear(); // the provider's usage replaces the delta count
    pendingChars = 0;
    if (u.has("input_tokens") || u.has("output_tokens")) {
      reported = new Usage(u.path("input_tokens").asLong(), u.path("input_tokens_details").path("cached_tokens").asLong(),
          u.path("output_tokens").asLong(), u.path("output_tokens_details").path("reasoning_tokens").asLong(), true);
    } else if (u.has("prompt_tokens")) {
      reported = new Usage(u.path("prompt_tokens").asLong(), u.path("prompt_tokens_details").path("cached_tokens").asLong(),
          u.path("completion_tokens").asLong(), u.path("completion_tokens_details").path("reasoning_tokens").asLong(), true);
    }
  }
}
