package dev.tollgate.response;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.knuddels.jtokkit.api.Encoding;
import dev.tollgate.tokens.ApiKind;
import java.io.IOException;
import java.util.ArrayList;
import java.util.function.Consumer;

/**
 * Follows one response and works out its usage: the provider's {@code usage} when it reports one
 * (chat/completions final chunk or body, Responses {@code response.completed} / {@code .incomplete}
 * / {@code .failed}, embeddings body) and it passes {@link ProviderUsage}'s checks, else the output
 * deltas tokenized. Memory per response is bounded whatever its size.
 *
 * <p>A JSON body is scanned as it passes ({@link JsonBodyScanner}): only the {@code usage} value
 * and the output texts are read, nothing is kept of the rest, so a 15 MiB embeddings answer costs a
 * few KiB. An event stream is read event by event ({@link SseParser}, each line and event capped);
 * its buffers and the deltas kept for later come from a {@link BufferBudget} shared by all
 * responses. A response the budget refuses is no longer read: its usage is then unknown (counted as
 * {@link ResponseEvent#BUFFER_BUDGET_EXHAUSTED}), the client's response is untouched.
 *
 * <p>Only events that can carry a usage or an error (their data mentions {@code "usage"} or {@code
 * "error"}) are parsed as they pass. The others — the deltas — are kept as they came (up to {@link
 * #MAX_PENDING_CHARS}, or less when the budget is short, beyond which they are parsed and counted)
 * and are parsed and tokenized only if the stream ends without a usage: with {@code include_usage},
 * the usual case, a stream costs one JSON parse.
 */
public final class ResponseUsage {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Largest SSE line kept (an event's data line). */
  public static final int MAX_LINE_BYTES = 1 << 20;

  /** Largest SSE event kept (its data lines together). */
  public static final int MAX_EVENT_BYTES = SseParser.MAX_EVENT_BYTES;

  /** Delta events kept unparsed, in characters, before they are counted as they come. */
  public static final int MAX_PENDING_CHARS = 1 << 20;

  private static final int PENDING_OVERHEAD_BYTES = 64;

  /** Deltas are kept only while this much more could still be had, for the SSE buffers. */
  private static final int PENDING_HEADROOM_BYTES = 8 << 10;

  private final ApiKind api;
  private final Encoding encoding;
  private final long promptTokens;
  private final Consumer<ResponseEvent> events;
  private final BufferBudget.Lease lease;
  private final SseParser sse;
  private JsonBodyScanner json;
  private boolean streaming;
  private boolean finished;
  private boolean overBudget;
  private Usage reported;
  private long deltaTokens;
  private long parsedEvents;
  private boolean errorEvent;
  private final ArrayList<String[]> pending = new ArrayList<>(); // {event, data}
  private long pendingChars;
  private long pendingBytes;
  private long linesDropped;
  private long eventsDropped;

  /**
   * A response followed without a shared budget and without counting what goes wrong.
   *
   * @param api the API of the request
   * @param encoding the model's encoding, for the deltas
   * @param promptTokens the admission's prompt count, used when the provider reports nothing
   */
  public ResponseUsage(ApiKind api, Encoding encoding, long promptTokens) {
    this(api, encoding, promptTokens, BufferBudget.unlimited(), e -> {});
  }

  /**
   * @param api the API of the request
   * @param encoding the model's encoding, for the deltas
   * @param promptTokens the admission's prompt count, used when the provider reports nothing
   * @param budget the budget shared by all responses, for what is kept between chunks
   * @param events told of each refused or clamped usage, dropped line or event, exhausted budget
   */
  public ResponseUsage(
      ApiKind api,
      Encoding encoding,
      long promptTokens,
      BufferBudget budget,
      Consumer<ResponseEvent> events) {
    this.api = api;
    this.encoding = encoding;
    this.promptTokens = promptTokens;
    this.events = events;
    this.lease = budget.lease();
    this.sse = new SseParser(this::onEvent, MAX_LINE_BYTES, MAX_EVENT_BYTES, lease);
  }

  /** Whether the body is an event stream (from {@code content-type}). */
  public void streaming(boolean streaming) {
    this.streaming = streaming;
  }

  /** The next decoded bytes of the body. */
  public void feed(byte[] bytes, int off, int len) {
    if (len <= 0 || finished || overBudget) {
      return;
    }
    if (streaming) {
      sse.feed(bytes, off, len);
      afterSse();
    } else {
      if (json == null) {
        json = new JsonBodyScanner(new JsonSink());
      }
      json.feed(bytes, off, len);
    }
  }

  /** The body is complete (or cut): read what is left and free every buffer. */
  public void finish() {
    if (finished) {
      return;
    }
    finished = true;
    if (streaming) {
      sse.finish();
      afterSse();
    } else if (json != null) {
      json.finish();
    }
    if (reported == null) {
      countPending();
    } else {
      clearPending();
    }
    lease.close();
  }

  /** The usage: the provider's when reported (and believed), else prompt + tokenized deltas. */
  public Usage usage() {
    if (reported != null) {
      return reported;
    }
    countPending();
    return new Usage(promptTokens, 0, api == ApiKind.EMBEDDINGS ? 0 : deltaTokens, 0, false);
  }

  /** True when the provider's usage was seen and believed. */
  public boolean reported() {
    return reported != null;
  }

  /** Events parsed so far. */
  public long events() {
    return parsedEvents;
  }

  /** An {@code error} event (or error object) was seen. */
  public boolean sawError() {
    return errorEvent;
  }

  /** The top-level {@code status} of a JSON body (Responses: {@code completed}, ...), or null. */
  public String status() {
    return json == null ? null : json.status();
  }

  /** Bytes this response holds between chunks now: buffers and deltas kept for later. */
  public long retainedBytes() {
    return sse.retainedBytes() + pendingBytes + (json == null ? 0 : json.retainedBytes());
  }

  private void afterSse() {
    for (; linesDropped < sse.droppedLines(); linesDropped++) {
      events.accept(ResponseEvent.SSE_LINE_DROPPED);
    }
    for (; eventsDropped < sse.droppedEvents(); eventsDropped++) {
      events.accept(ResponseEvent.SSE_EVENT_DROPPED);
    }
    if (sse.overBudget() && !overBudget) {
      overBudget = true;
      events.accept(ResponseEvent.BUFFER_BUDGET_EXHAUSTED);
      if (reported == null) {
        countPending();
      }
      clearPending();
      lease.close();
    }
  }

  private void onEvent(String event, String data) {
    parsedEvents++;
    if (data.equals("[DONE]")) {
      return;
    }
    boolean mayReport =
        "error".equals(event) || data.contains("\"usage\"") || data.contains("\"error\"");
    if (mayReport) {
      parse(event, data);
    } else if (reported == null) {
      long cost = 2L * data.length() + PENDING_OVERHEAD_BYTES;
      if (!lease.tryGrowOptional(cost + PENDING_HEADROOM_BYTES)) {
        // the budget is short: count now rather than keep, and leave the room to the parser
        countPending();
        parse(event, data);
        return;
      }
      lease.shrink(PENDING_HEADROOM_BYTES);
      pending.add(new String[] {event, data});
      pendingChars += data.length();
      pendingBytes += cost;
      if (pendingChars > MAX_PENDING_CHARS) {
        countPending();
      }
    }
    // else: a delta after the provider's usage, which replaces the delta count anyway
  }

  private void countPending() {
    ArrayList<String[]> kept = new ArrayList<>(pending);
    clearPending();
    for (String[] e : kept) {
      parse(e[0], e[1]);
    }
  }

  private void clearPending() {
    pending.clear();
    pendingChars = 0;
    lease.shrink(pendingBytes);
    pendingBytes = 0;
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
        case "response.completed", "response.incomplete", "response.failed" ->
            take(root.path("response").get("usage"));
        case "response.output_text.delta",
            "response.refusal.delta",
            "response.function_call_arguments.delta",
            "response.reasoning_summary_text.delta" ->
            countText(root.path("delta"));
        case "error" -> errorEvent = true;
        default -> {}
      }
      return;
    }
    if ("error".equals(type) || root.has("error")) {
      errorEvent = true;
      return;
    }
    take(root.get("usage"));
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

  private void countText(JsonNode text) {
    if (text != null && text.isTextual()) {
      countText(text.asText());
    }
  }

  private void countText(String text) {
    if (!text.isEmpty()) {
      deltaTokens += encoding.countTokensOrdinary(text);
    }
  }

  private void take(JsonNode u) {
    ProviderUsage.Checked c = ProviderUsage.check(u);
    if (c.refused()) {
      events.accept(ResponseEvent.USAGE_REFUSED);
      return;
    }
    if (c.usage() == null) {
      return;
    }
    if (c.clamped()) {
      events.accept(ResponseEvent.USAGE_CLAMPED);
    }
    clearPending(); // the provider's usage replaces the delta count
    reported = c.usage();
  }

  /** What the JSON body scanner finds. */
  private final class JsonSink implements JsonBodyScanner.Sink {
    @Override
    public void usage(byte[] raw, int len, boolean tooLarge) {
      if (tooLarge) {
        events.accept(ResponseEvent.USAGE_REFUSED);
        return;
      }
      JsonNode u;
      try {
        u = JSON.readTree(raw, 0, len);
      } catch (IOException e) {
        events.accept(ResponseEvent.USAGE_REFUSED);
        return;
      }
      take(u);
    }

    @Override
    public void error() {
      errorEvent = true;
    }

    @Override
    public void text(String text) {
      countText(text);
    }
  }
}
