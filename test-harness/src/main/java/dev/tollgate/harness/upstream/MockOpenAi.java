package dev.tollgate.harness.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.knuddels.jtokkit.api.Encoding;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tollgate.tokens.ApiKind;
import dev.tollgate.tokens.Encodings;
import dev.tollgate.tokens.InvalidRequestException;
import dev.tollgate.tokens.ParsedRequest;
import dev.tollgate.tokens.PromptCounter;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A mock OpenAI API on loopback: {@code /v1/chat/completions} (JSON, SSE with and without {@code
 * stream_options.include_usage}), {@code /v1/responses} (JSON, named-event SSE), {@code
 * /v1/embeddings} (one vector per input, float or base64, {@code dimensions}: {@link
 * MockEmbeddings}), {@code /v1/completions}. Usage is computed with the same tokenizer as Tollgate,
 * so totals are known: prompt tokens by Tollgate's request counter, completion tokens of the text
 * it answers. It refuses any {@code authorization} but the upstream key (a client's Tollgate key
 * reaching it is a leak, recorded in {@link #leakedKeys()}), and it can be told to fail: a status,
 * a delay, or a stream cut after some events.
 */
public final class MockOpenAi implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ANSWER =
      "Hello! This is the mock upstream answering your request with a short,"
          + " predictable reply so that token counts are known.";

  private final HttpServer server;
  private final ExecutorService executor;
  private final String upstreamKey;
  private final Encodings encodings;
  private final PromptCounter counter;
  private final AtomicReference<Failure> failure = new AtomicReference<>(Failure.NONE);
  private final ConcurrentLinkedQueue<Usage> served = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<String> leaked = new ConcurrentLinkedQueue<>();
  private final AtomicLong requests = new AtomicLong();

  /** What the next requests should suffer. */
  public record Failure(int status, long delayMillis, int cutAfterEvents) {
    /** Answer normally. */
    public static final Failure NONE = new Failure(0, 0, -1);
  }

  /** The usage reported for one request. */
  public record Usage(String path, String model, long promptTokens, long completionTokens) {}

  private MockOpenAi(
      HttpServer server, ExecutorService executor, String upstreamKey, Encodings encodings) {
    this.server = server;
    this.executor = executor;
    this.upstreamKey = upstreamKey;
    this.encodings = encodings;
    this.counter = new PromptCounter(encodings);
  }

  /**
   * Starts on 127.0.0.1.
   *
   * @param port the port (0: any free one)
   * @param upstreamKey the only bearer value accepted
   * @param encodings tokenizer encodings (shared, they are costly to load)
   */
  public static MockOpenAi start(int port, String upstreamKey, Encodings encodings)
      throws IOException {
    HttpServer s =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 256);
    ExecutorService ex =
        Executors.newFixedThreadPool(
            8,
            r -> {
              Thread t = new Thread(r, "mock-openai");
              t.setDaemon(true);
              return t;
            });
    MockOpenAi m = new MockOpenAi(s, ex, upstreamKey, encodings);
    s.createContext("/", m::handle);
    s.setExecutor(ex);
    s.start();
    return m;
  }

  /** The base URL, e.g. {@code http://127.0.0.1:18080/v1}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
  }

  /** The bound port. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** Makes the next requests fail (or {@link Failure#NONE} to stop). */
  public void fail(Failure f) {
    failure.set(f);
  }

  /** Usage reported so far, in order. */
  public List<Usage> served() {
    return List.copyOf(served);
  }

  /** Authorization values that were not the upstream key. */
  public List<String> leakedKeys() {
    return List.copyOf(leaked);
  }

  /** Requests received. */
  public long requests() {
    return requests.get();
  }

  private void handle(HttpExchange ex) throws IOException {
    requests.incrementAndGet();
    try (ex) {
      String auth = ex.getRequestHeaders().getFirst("authorization");
      if (auth == null || !auth.equals("Bearer " + upstreamKey)) {
        if (auth != null) {
          leaked.add(auth);
        }
        error(ex, 401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key");
        return;
      }
      Failure f = failure.get();
      if (f.delayMillis() > 0) {
        Thread.sleep(f.delayMillis());
      }
      if (f.status() > 0) {
        error(ex, f.status(), "The mock upstream was told to fail.", "server_error", null);
        return;
      }
      String path = ex.getRequestURI().getPath();
      ApiKind api = ApiKind.fromPath(path);
      if (api == null || !"POST".equals(ex.getRequestMethod())) {
        error(
            ex,
            404,
            "Unknown request URL: " + ex.getRequestMethod() + " " + path,
            "invalid_request_error",
            "unknown_url");
        return;
      }
      byte[] body = ex.getRequestBody().readAllBytes();
      ParsedRequest p;
      try {
        p = counter.parse(api, body, false, Set.of(), m -> null);
      } catch (InvalidRequestException e) {
        error(ex, 400, e.getMessage(), "invalid_request_error", null);
        return;
      }
      JsonNode req = JSON.readTree(body);
      if (api == ApiKind.EMBEDDINGS) {
        ObjectNode answer;
        try {
          answer = MockEmbeddings.response(req, p.model(), p.promptTokens());
        } catch (MockEmbeddings.Invalid bad) {
          error(ex, 400, bad.getMessage(), "invalid_request_error", null, bad.param());
          return;
        }
        served.add(new Usage(path, p.model(), p.promptTokens(), 0));
        json(ex, 200, answer);
        return;
      }
      Encoding enc = encodings.encodingFor(p.model(), null);
      String answer = answer(p.maxOutputTokens(), enc);
      long completion = (long) enc.countTokensOrdinary(answer) * Math.max(1, p.n());
      served.add(new Usage(path, p.model(), p.promptTokens(), completion));
      if (p.stream()) {
        stream(ex, api, p, req, answer, enc, completion, f.cutAfterEvents());
      } else {
        json(ex, 200, body(api, p, answer, completion));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String answer(long maxTokens, Encoding enc) {
    if (maxTokens < 0) {
      return ANSWER;
    }
    var ids = enc.encodeOrdinary(ANSWER);
    if (ids.size() <= maxTokens) {
      return ANSWER;
    }
    var cut = new com.knuddels.jtokkit.api.IntArrayList((int) maxTokens);
    for (int i = 0; i < maxTokens; i++) {
      cut.add(ids.get(i));
    }
    return enc.decode(cut);
  }

  private ObjectNode body(ApiKind api, ParsedRequest p, String answer, long completion) {
    ObjectNode o = JSON.createObjectNode();
    switch (api) {
      case CHAT_COMPLETIONS -> {
        o.put("id", "chatcmpl-mock")
            .put("object", "chat.completion")
            .put("created", 1_700_000_000L)
            .put("model", p.model());
        ArrayNode choices = o.putArray("choices");
        for (int i = 0; i < Math.max(1, p.n()); i++) {
          ObjectNode c = choices.addObject().put("index", i);
          c.putObject("message").put("role", "assistant").put("content", answer).putNull("refusal");
          c.putNull("logprobs");
          c.put("finish_reason", "stop");
        }
        ObjectNode u =
            o.putObject("usage")
                .put("prompt_tokens", p.promptTokens())
                .put("completion_tokens", completion)
                .put("total_tokens", p.promptTokens() + completion);
        u.putObject("prompt_tokens_details").put("cached_tokens", 0);
        u.putObject("completion_tokens_details").put("reasoning_tokens", 0);
      }
      case COMPLETIONS -> {
        o.put("id", "cmpl-mock")
            .put("object", "text_completion")
            .put("created", 1_700_000_000L)
            .put("model", p.model());
        o.putArray("choices")
            .addObject()
            .put("index", 0)
            .put("text", answer)
            .putNull("logprobs")
            .put("finish_reason", "stop");
        o.putObject("usage")
            .put("prompt_tokens", p.promptTokens())
            .put("completion_tokens", completion)
            .put("total_tokens", p.promptTokens() + completion);
      }
      case EMBEDDINGS ->
          throw new IllegalStateException("embeddings are answered by MockEmbeddings");
      case RESPONSES -> {
        o.setAll(response(p, answer, completion, "completed"));
      }
    }
    return o;
  }

  private ObjectNode response(ParsedRequest p, String answer, long completion, String status) {
    ObjectNode r =
        JSON.createObjectNode()
            .put("id", "resp_mock")
            .put("object", "response")
            .put("created_at", 1_700_000_000L)
            .put("status", status)
            .put("model", p.model());
    ObjectNode msg =
        r.putArray("output")
            .addObject()
            .put("type", "message")
            .put("id", "msg_mock")
            .put("status", "completed")
            .put("role", "assistant");
    msg.putArray("content")
        .addObject()
        .put("type", "output_text")
        .put("text", answer)
        .putArray("annotations");
    ObjectNode u =
        r.putObject("usage")
            .put("input_tokens", p.promptTokens())
            .put("output_tokens", completion)
            .put("total_tokens", p.promptTokens() + completion);
    u.putObject("input_tokens_details").put("cached_tokens", 0);
    u.putObject("output_tokens_details").put("reasoning_tokens", 0);
    return r;
  }

  private void stream(
      HttpExchange ex,
      ApiKind api,
      ParsedRequest p,
      JsonNode req,
      String answer,
      Encoding enc,
      long completion,
      int cutAfter)
      throws IOException {
    ex.getResponseHeaders().set("content-type", "text/event-stream; charset=utf-8");
    ex.getResponseHeaders().set("cache-control", "no-cache");
    ex.sendResponseHeaders(200, 0);
    OutputStream out = ex.getResponseBody();
    int[] sent = {0};
    List<String> pieces = pieces(answer, enc);
    boolean includeUsage = req.path("stream_options").path("include_usage").asBoolean(false);
    try {
      if (api == ApiKind.RESPONSES) {
        event(
            out,
            "response.created",
            JSON.createObjectNode()
                .put("type", "response.created")
                .set("response", response(p, "", 0, "in_progress")),
            sent,
            cutAfter);
        for (String piece : pieces) {
          event(
              out,
              "response.output_text.delta",
              JSON.createObjectNode()
                  .put("type", "response.output_text.delta")
                  .put("item_id", "msg_mock")
                  .put("output_index", 0)
                  .put("content_index", 0)
                  .put("delta", piece),
              sent,
              cutAfter);
        }
        event(
            out,
            "response.completed",
            JSON.createObjectNode()
                .put("type", "response.completed")
                .set("response", response(p, answer, completion, "completed")),
            sent,
            cutAfter);
        return;
      }
      boolean chat = api == ApiKind.CHAT_COMPLETIONS;
      for (int i = 0; i < pieces.size(); i++) {
        ObjectNode chunk =
            JSON.createObjectNode()
                .put("id", "mock")
                .put("object", chat ? "chat.completion.chunk" : "text_completion")
                .put("created", 1_700_000_000L)
                .put("model", p.model());
        ObjectNode c = chunk.putArray("choices").addObject().put("index", 0);
        if (chat) {
          ObjectNode delta = c.putObject("delta");
          if (i == 0) {
            delta.put("role", "assistant");
          }
          delta.put("content", pieces.get(i));
        } else {
          c.put("text", pieces.get(i));
        }
        c.putNull("finish_reason");
        if (includeUsage) {
          chunk.putNull("usage");
        }
        event(out, null, chunk, sent, cutAfter);
      }
      if (includeUsage) {
        ObjectNode last =
            JSON.createObjectNode()
                .put("id", "mock")
                .put("object", chat ? "chat.completion.chunk" : "text_completion")
                .put("created", 1_700_000_000L)
                .put("model", p.model());
        last.putArray("choices");
        last.putObject("usage")
            .put("prompt_tokens", p.promptTokens())
            .put("completion_tokens", completion)
            .put("total_tokens", p.promptTokens() + completion);
        event(out, null, last, sent, cutAfter);
      }
      out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
    } catch (CutException cut) {
      // the stream ends here, without its last events: as a dropped connection would
    }
  }

  /** The answer cut into token-sized pieces, as the API streams it. */
  private static List<String> pieces(String answer, Encoding enc) {
    var ids = enc.encodeOrdinary(answer);
    List<String> out = new java.util.ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      var one = new com.knuddels.jtokkit.api.IntArrayList(1);
      one.add(ids.get(i));
      out.add(enc.decode(one));
    }
    return out;
  }

  private static final class CutException extends IOException {
    private static final long serialVersionUID = 1L;
  }

  private static void event(
      OutputStream out, String name, ObjectNode data, int[] sent, int cutAfter) throws IOException {
    if (cutAfter >= 0 && sent[0] >= cutAfter) {
      throw new CutException();
    }
    StringBuilder sb = new StringBuilder();
    if (name != null) {
      sb.append("event: ").append(name).append('\n');
    }
    sb.append("data: ").append(JSON.writeValueAsString(data)).append("\n\n");
    out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
    out.flush();
    sent[0]++;
  }

  private static void json(HttpExchange ex, int status, ObjectNode body) throws IOException {
    byte[] b = JSON.writeValueAsBytes(body);
    ex.getResponseHeaders().set("content-type", "application/json");
    ex.sendResponseHeaders(status, b.length);
    ex.getResponseBody().write(b);
  }

  private static void error(HttpExchange ex, int status, String message, String type, String code)
      throws IOException {
    error(ex, status, message, type, code, null);
  }

  private static void error(
      HttpExchange ex, int status, String message, String type, String code, String param)
      throws IOException {
    ObjectNode o = JSON.createObjectNode();
    ObjectNode e = o.putObject("error").put("message", message).put("type", type);
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
    json(ex, status, o);
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
