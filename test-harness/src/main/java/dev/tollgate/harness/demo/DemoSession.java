package dev.tollgate.harness.demo;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.Headers;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.PermissionDeniedException;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.CompletionUsage;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import dev.tollgate.admission.AuthzMetadata;
import dev.tollgate.config.TierConfig;
import dev.tollgate.harness.upstream.MockOpenAi;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.Money;
import dev.tollgate.quota.QuotaTarget;
import dev.tollgate.quota.Scope;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.WindowStatus;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The scripted session of {@code ./tollgate demo}: the official OpenAI Java SDK talks to the Envoy
 * emulator with a Tollgate service key, one step at a time, and a transcript says what was sent,
 * what came back, and what Tollgate reserved and settled. Each step checks that Tollgate behaved as
 * it should; the failed steps are returned.
 */
final class DemoSession {
  /** The development service key of {@code server/tollgate.yaml}. */
  static final String SERVICE_KEY = "tollgate-dev-key";

  static final String MODEL = "gpt-4o-mini";
  static final String EMBEDDING_MODEL = "text-embedding-3-small";

  /** Not in any tier of {@code server/tollgate.yaml}. */
  static final String OTHER_MODEL = "gpt-4.5-preview";

  static final long MAX_OUTPUT = 40;
  private static final int MAX_BOB_REQUESTS = 8;
  private static final String WARM_UP_USER = "warm-up";
  private static final List<String> RATE_HEADERS =
      List.of(
          "retry-after",
          "retry-after-ms",
          "x-ratelimit-limit-tokens",
          "x-ratelimit-remaining-tokens",
          "x-ratelimit-reset-tokens",
          "x-should-retry");

  private final DemoStack stack;
  private final TierConfig tier;
  private final PrintWriter out;
  private final List<String> failed = new ArrayList<>();
  private final Map<String, Long> settled = new LinkedHashMap<>();
  private int upstreamCalls;
  private int warmUpCalls;
  private int step;

  /** One step's body; throws {@link Unexpected} when Tollgate did not behave as it should. */
  private interface Step {
    void run(OpenAIClient client) throws Exception;
  }

  /** A step's outcome was not the expected one. */
  private static final class Unexpected extends Exception {
    private static final long serialVersionUID = 1L;

    Unexpected(String message) {
      super(message);
    }
  }

  DemoSession(DemoStack stack, TierConfig tier, PrintWriter out) {
    this.stack = stack;
    this.tier = tier;
    this.out = out;
  }

  /** Runs every step; returns the titles of those that did not behave as expected. */
  List<String> run() {
    OpenAIClient client =
        OpenAIOkHttpClient.builder()
            .apiKey(SERVICE_KEY)
            .baseUrl(stack.envoy().baseUrl())
            .maxRetries(0)
            .timeout(Duration.ofSeconds(30))
            .build();
    try {
      warmUp(client);
      step(client, "alice: a chat completion", this::chat);
      step(client, "alice: a streaming chat completion", this::streamingChat);
      step(client, "alice: embeddings", this::embeddings);
      step(client, "a client key Tollgate does not know -> 401", this::wrongKey);
      step(client, "a model outside the tier's allowlist -> 403", this::modelNotAllowed);
      step(client, "bob: requests until over quota -> 429", this::overQuota);
      step(client, "what Tollgate counted, what the upstream saw", this::usage);
    } finally {
      client.close();
    }
    return List.copyOf(failed);
  }

  /**
   * One request of each kind through the whole path, so that the session's first requests do not
   * pay for class loading and JIT (a check that misses Envoy's timeout would leave a reservation
   * behind); then the warm-up user's and the global usage are forgotten.
   */
  private void warmUp(OpenAIClient client) {
    out.println(
        "warming up: one request of each kind as user "
            + WARM_UP_USER
            + ", then its usage is reset");
    out.flush();
    long reported = 0;
    try {
      reported +=
          client
              .chat()
              .completions()
              .create(chat(WARM_UP_USER))
              .usage()
              .map(CompletionUsage::totalTokens)
              .orElse(0L);
      warmUpCalls++;
      try (StreamResponse<ChatCompletionChunk> s =
          client.chat().completions().createStreaming(chat(WARM_UP_USER))) {
        reported +=
            s.stream()
                .map(c -> c.usage().map(CompletionUsage::totalTokens).orElse(0L))
                .reduce(0L, Long::sum);
      }
      warmUpCalls++;
      reported +=
          client
              .embeddings()
              .create(
                  EmbeddingCreateParams.builder()
                      .model(EMBEDDING_MODEL)
                      .input("warm-up")
                      .putAdditionalHeader("x-on-behalf-of", WARM_UP_USER)
                      .build())
              .usage()
              .totalTokens();
      warmUpCalls++;
    } catch (RuntimeException e) {
      out.println("  (warm-up: " + describe(e) + ")");
    }
    try {
      awaitUsed(WARM_UP_USER, reported);
    } catch (Exception e) {
      // a request that failed may have left a reservation behind: the reset below forgets it
    }
    try {
      stack
          .tollgate()
          .quotas()
          .reset(QuotaTarget.keyOf(Scope.USER, WARM_UP_USER))
          .toCompletableFuture()
          .get();
      stack
          .tollgate()
          .quotas()
          .reset(QuotaTarget.keyOf(Scope.GLOBAL, ""))
          .toCompletableFuture()
          .get();
    } catch (Exception e) {
      out.println("  (warm-up reset: " + describe(e) + ")");
    }
    if (stack.mock() != null) {
      warmUpCalls =
          (int) stack.mock().requests(); // what reached it, whatever failed on the way back
    }
    upstreamCalls = warmUpCalls;
  }

  private void step(OpenAIClient client, String title, Step body) {
    step++;
    out.printf("%n[%d/7] %s%n", step, title);
    try {
      body.run(client);
      out.println("  ok");
    } catch (Unexpected e) {
      failed.add(step + " (" + title + "): " + e.getMessage());
      out.println("  FAILED: " + e.getMessage());
    } catch (Exception e) {
      failed.add(step + " (" + title + "): " + describe(e));
      out.println("  FAILED: " + describe(e));
    }
    out.flush();
  }

  // --- the steps -------------------------------------------------------------------------------

  private void chat(OpenAIClient client) throws Exception {
    sent(
        "POST /v1/chat/completions",
        "model " + MODEL + ", max_completion_tokens " + MAX_OUTPUT,
        "alice");
    stack.checks().clear();
    HttpResponseFor<ChatCompletion> raw =
        client.chat().completions().withRawResponse().create(chat("alice"));
    ChatCompletion c = raw.parse();
    upstreamCalls++;
    out.printf(
        "  <- %d  \"%s\"%n",
        raw.statusCode(), shorten(c.choices().get(0).message().content().orElse("")));
    reserved();
    CompletionUsage u = c.usage().orElseThrow(() -> new Unexpected("the response has no usage"));
    settle("alice", u.promptTokens(), u.completionTokens());
    out.println("     " + rateHeaders(raw.headers()));
  }

  private void streamingChat(OpenAIClient client) throws Exception {
    sent(
        "POST /v1/chat/completions",
        "model " + MODEL + ", max_completion_tokens " + MAX_OUTPUT + ", stream: true",
        "alice");
    stack.checks().clear();
    HttpResponseFor<StreamResponse<ChatCompletionChunk>> raw =
        client.chat().completions().withRawResponse().createStreaming(chat("alice"));
    StringBuilder text = new StringBuilder();
    int chunks = 0;
    CompletionUsage usage = null;
    try (StreamResponse<ChatCompletionChunk> s = raw.parse()) {
      for (ChatCompletionChunk chunk : (Iterable<ChatCompletionChunk>) s.stream()::iterator) {
        chunks++;
        if (!chunk.choices().isEmpty()) {
          chunk.choices().get(0).delta().content().ifPresent(text::append);
        }
        if (chunk.usage().isPresent()) {
          usage = chunk.usage().get();
        }
      }
    }
    upstreamCalls++;
    out.printf(
        "  <- %d  %d server-sent events: \"%s\"%n",
        raw.statusCode(), chunks, shorten(text.toString()));
    if (usage == null) {
      throw new Unexpected("no chunk carried usage (Tollgate adds stream_options.include_usage)");
    }
    out.println(
        "     the last event carried usage: the client did not ask, Tollgate added stream_options.include_usage");
    reserved();
    settle("alice", usage.promptTokens(), usage.completionTokens());
    out.println("     " + rateHeaders(raw.headers()));
  }

  private void embeddings(OpenAIClient client) throws Exception {
    String input = "Tollgate counts tokens before they are spent.";
    sent("POST /v1/embeddings", "model " + EMBEDDING_MODEL + ", input \"" + input + "\"", "alice");
    stack.checks().clear();
    HttpResponseFor<CreateEmbeddingResponse> raw =
        client
            .embeddings()
            .withRawResponse()
            .create(
                EmbeddingCreateParams.builder()
                    .model(EMBEDDING_MODEL)
                    .input(input)
                    .putAdditionalHeader("x-on-behalf-of", "alice")
                    .build());
    CreateEmbeddingResponse e = raw.parse();
    upstreamCalls++;
    out.printf(
        "  <- %d  %d embedding(s) of %d dimensions%n",
        raw.statusCode(),
        e.data().size(),
        e.data().isEmpty() ? 0 : e.data().get(0).embedding().size());
    reserved();
    settle("alice", e.usage().promptTokens(), 0);
    out.println("     " + rateHeaders(raw.headers()));
  }

  private void wrongKey(OpenAIClient client) throws Exception {
    long before = upstreamRequests();
    out.println("  -> POST /v1/chat/completions  authorization: Bearer sk-not-a-tollgate-key");
    OpenAIClient stranger =
        OpenAIOkHttpClient.builder()
            .apiKey("sk-not-a-tollgate-key")
            .baseUrl(stack.envoy().baseUrl())
            .maxRetries(0)
            .build();
    try {
      stranger.chat().completions().create(chat("alice"));
      throw new Unexpected("the request was allowed");
    } catch (UnauthorizedException e) {
      refused(e);
    } finally {
      stranger.close();
    }
    upstreamUntouched(before);
  }

  private void modelNotAllowed(OpenAIClient client) throws Exception {
    if (tier.models().contains(OTHER_MODEL)) {
      throw new Unexpected(
          OTHER_MODEL
              + " is allowed in tier "
              + tier.name()
              + "; the step needs a model that is not");
    }
    long before = upstreamRequests();
    sent(
        "POST /v1/chat/completions",
        "model " + OTHER_MODEL + " (tier " + tier.name() + " allows " + tier.models() + ")",
        "alice");
    try {
      client.chat().completions().create(chat("alice").toBuilder().model(OTHER_MODEL).build());
      throw new Unexpected("the request was allowed");
    } catch (PermissionDeniedException e) {
      refused(e);
    }
    upstreamUntouched(before);
  }

  private void overQuota(OpenAIClient client) throws Exception {
    out.printf(
        "  bob may use %s per user; each request reserves its prompt + %d output tokens%n",
        DemoStack.DEMO_LIMIT, MAX_OUTPUT);
    int allowed = 0;
    for (int i = 1; i <= MAX_BOB_REQUESTS; i++) {
      stack.checks().clear();
      long before = upstreamRequests();
      try {
        HttpResponseFor<ChatCompletion> raw =
            client.chat().completions().withRawResponse().create(chat("bob"));
        ChatCompletion c = raw.parse();
        upstreamCalls++;
        allowed++;
        CompletionUsage u =
            c.usage().orElseThrow(() -> new Unexpected("the response has no usage"));
        out.printf(
            "  #%d -> %d  reserved %d, settled %d; %s%n",
            i,
            raw.statusCode(),
            stack.checks().number(AuthzMetadata.FIELD_RESERVED_TOKENS),
            u.totalTokens(),
            rateHeaders(raw.headers()));
        awaitUsed("bob", settled.merge("bob", u.totalTokens(), Long::sum));
      } catch (RateLimitException e) {
        out.printf(
            "  #%d -> %d  %s: %s%n",
            i, e.statusCode(), e.getClass().getSimpleName(), errorMessage(e));
        out.println("        " + rateHeaders(e.headers()));
        String retryAfter = first(e.headers(), "retry-after");
        if (retryAfter == null || Long.parseLong(retryAfter) < 1) {
          throw new Unexpected("429 without retry-after >= 1");
        }
        if (allowed == 0) {
          throw new Unexpected("bob was refused before any request was allowed");
        }
        upstreamUntouched(before);
        out.printf(
            "     (the SDK retries a 429 itself after retry-after when maxRetries > 0; the demo sets 0)%n");
        return;
      }
    }
    throw new Unexpected("no 429 after " + MAX_BOB_REQUESTS + " requests");
  }

  private void usage(OpenAIClient client) throws Exception {
    List<Limit> limits = tier.limitsFor(Scope.USER);
    for (String user : List.of("alice", "bob")) {
      List<WindowStatus> status =
          stack
              .tollgate()
              .quotas()
              .status(QuotaTarget.keyOf(Scope.USER, user), limits)
              .toCompletableFuture()
              .get();
      for (WindowStatus s : status) {
        boolean usd = s.limit().unit() == Unit.NANO_USD;
        out.printf(
            "  user:%-5s  %-5s  used %s of %s, resets in %s%n",
            user,
            s.limit().window().name(),
            usd ? Money.format(s.used()) : s.used() + " tokens",
            usd ? Money.format(s.limit().max()) : s.limit().max(),
            roundSeconds(s.resetIn()));
      }
      long expected = settled.getOrDefault(user, 0L);
      long counted = used(user);
      if (counted != expected) {
        throw new Unexpected(
            "Tollgate counted "
                + counted
                + " tokens for "
                + user
                + ", the upstream reported "
                + expected);
      }
    }
    out.println(
        "  (the same numbers the admin API's GetUsage returns; every token count is what the upstream reported)");
    MockOpenAi mock = stack.mock();
    if (mock == null) {
      out.println(
          "  upstream "
              + stack.upstream()
              + ": "
              + upstreamCalls
              + " requests reached it ("
              + warmUpCalls
              + " of them the warm-up), all with the key from $OPENAI_API_KEY (Tollgate replaced the client's key)");
      return;
    }
    List<String> leaked = mock.leakedKeys();
    out.printf(
        "  mock upstream: %d requests (%d of them the warm-up), every one with the upstream key; other keys seen: %s%n",
        mock.requests(), warmUpCalls, leaked.isEmpty() ? "none" : leaked.size());
    if (!leaked.isEmpty()) {
      throw new Unexpected(
          "the upstream saw "
              + leaked.size()
              + " request(s) with a key that is not the upstream key");
    }
    if (mock.requests() != upstreamCalls) {
      throw new Unexpected(
          "the upstream received "
              + mock.requests()
              + " requests, "
              + upstreamCalls
              + " were allowed");
    }
    out.println("  the refused requests (401, 403, 429) never reached it");
  }

  // --- helpers ---------------------------------------------------------------------------------

  private static ChatCompletionCreateParams chat(String user) {
    return ChatCompletionCreateParams.builder()
        .model(MODEL)
        .addUserMessage("Say hello to a newcomer in one sentence.")
        .maxCompletionTokens(MAX_OUTPUT)
        .putAdditionalHeader("x-on-behalf-of", user)
        .build();
  }

  private void sent(String request, String what, String user) {
    out.printf(
        "  -> %s  %s%n     authorization: Bearer %s, x-on-behalf-of: %s%n",
        request, what, SERVICE_KEY, user);
  }

  private void reserved() throws Unexpected {
    long prompt = stack.checks().number(AuthzMetadata.FIELD_PROMPT_TOKENS);
    long reserved = stack.checks().number(AuthzMetadata.FIELD_RESERVED_TOKENS);
    if (reserved < 0) {
      throw new Unexpected("Tollgate's answer carried no reservation");
    }
    out.printf(
        "     Tollgate reserved %d tokens at admission (%d prompt, counted before the call, + %d for the output)%n",
        reserved, prompt, reserved - prompt);
  }

  /**
   * Waits until Tollgate's count for the user includes this call's usage, as the upstream reported
   * it.
   */
  private void settle(String user, long prompt, long completion) throws Exception {
    long total = settled.merge(user, prompt + completion, Long::sum);
    awaitUsed(user, total);
    out.printf(
        "     settled at %d tokens (%d prompt + %d completion, the upstream's usage); %s has used %d of %d%n",
        prompt + completion, prompt, completion, user, total, DemoStack.DEMO_LIMIT.max());
  }

  private void awaitUsed(String user, long expected) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
    long used = used(user);
    while (used != expected && System.nanoTime() < deadline) {
      Thread.sleep(10);
      used = used(user);
    }
    if (used != expected) {
      throw new Unexpected(
          "Tollgate counts "
              + used
              + " tokens for "
              + user
              + ", the upstream reported "
              + expected);
    }
  }

  private long used(String user) throws Exception {
    return stack
        .tollgate()
        .quotas()
        .status(QuotaTarget.keyOf(Scope.USER, user), List.of(DemoStack.DEMO_LIMIT))
        .toCompletableFuture()
        .get()
        .get(0)
        .used();
  }

  private void refused(OpenAIServiceException e) {
    out.printf("  <- %d  %s: %s%n", e.statusCode(), e.getClass().getSimpleName(), errorMessage(e));
    e.code().ifPresent(code -> out.println("     error.code: " + code));
  }

  private long upstreamRequests() {
    return stack.mock() == null ? -1 : stack.mock().requests();
  }

  private void upstreamUntouched(long before) throws Unexpected {
    if (stack.mock() == null) {
      return;
    }
    if (stack.mock().requests() != before) {
      throw new Unexpected("the request reached the upstream");
    }
    out.println("     the upstream was never called");
  }

  /** The {@code error.message} of an OpenAI error body (what a user of the SDK reads). */
  private static String errorMessage(OpenAIServiceException e) {
    // the SDK hands over the body's "error" object (or the whole body, if it has none)
    JsonValue error = field(e.body(), "error").orElse(e.body());
    return field(error, "message").flatMap(DemoSession::string).orElse(e.getMessage());
  }

  /**
   * A field of a JSON object ({@code JsonValue} is a raw type: its Optionals come back untyped).
   */
  @SuppressWarnings("unchecked")
  private static Optional<JsonValue> field(JsonValue object, String name) {
    Optional<Map<String, JsonValue>> o =
        (Optional<Map<String, JsonValue>>) (Optional<?>) object.asObject();
    return o.map(m -> m.get(name));
  }

  @SuppressWarnings("unchecked")
  private static Optional<String> string(JsonValue value) {
    return (Optional<String>) (Optional<?>) value.asString();
  }

  private static String rateHeaders(Headers h) {
    StringBuilder sb = new StringBuilder();
    for (String name : RATE_HEADERS) {
      String v = first(h, name);
      if (v != null) {
        sb.append(sb.length() == 0 ? "" : "  ").append(name).append(": ").append(v);
      }
    }
    return sb.length() == 0 ? "(no x-ratelimit-* headers)" : sb.toString();
  }

  private static String first(Headers h, String name) {
    List<String> v = h.values(name);
    return v.isEmpty() ? null : v.get(0);
  }

  private static String shorten(String s) {
    String one = s.replaceAll("\\s+", " ").strip();
    return one.length() <= 70 ? one : one.substring(0, 67) + "...";
  }

  private static String roundSeconds(Duration d) {
    long s = (d.toMillis() + 999) / 1000;
    if (s >= 86_400) {
      return (s / 86_400) + "d";
    }
    return s >= 3600 ? (s / 3600) + "h" : s >= 60 ? (s / 60) + "m" + (s % 60) + "s" : s + "s";
  }

  private static String describe(Exception e) {
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }
}
