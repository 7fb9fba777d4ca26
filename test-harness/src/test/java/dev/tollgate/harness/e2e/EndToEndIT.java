package dev.tollgate.harness.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.PermissionDeniedException;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.responses.ResponseCreateParams;
import dev.tollgate.TestConfigs;
import dev.tollgate.Tollgate;
import dev.tollgate.config.TollgateConfig;
import dev.tollgate.harness.envoy.EmulatorSettings;
import dev.tollgate.harness.envoy.EnvoyEmulator;
import dev.tollgate.harness.upstream.MockOpenAi;
import dev.tollgate.quota.InMemoryQuotaStore;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.Window;
import dev.tollgate.testsupport.RepoRoot;
import dev.tollgate.tokens.Encodings;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The official OpenAI Java SDK → the Envoy emulator (settings from envoy/envoy-local.yaml) →
 * Tollgate over TCP (ext_authz + ext_proc) → the mock OpenAI upstream, all on loopback.
 */
class EndToEndIT {
  private static MockOpenAi mock;
  private static Tollgate tollgate;
  private static ManagedChannel channel;
  private static EnvoyEmulator envoy;

  @BeforeAll
  static void start() throws Exception {
    mock = MockOpenAi.start(0, TestConfigs.UPSTREAM_KEY, new Encodings());
    TollgateConfig config =
        TestConfigs.withLimits(
            """
        - { scope: user, window: 3s, tokens: 100 }
        - { scope: user, window: month, usd: 1.00 }
        """);
    tollgate =
        Tollgate.start(
            config,
            Tollgate.netty(config.server()),
            null,
            false,
            Clock.systemUTC(),
            new InMemoryQuotaStore());
    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", tollgate.grpcPort()).usePlaintext().build();
    Path root = RepoRoot.get();
    // envoy-local.yaml's filters, with its 250/200 ms timeouts scaled for a loaded test machine
    EmulatorSettings settings =
        EmulatorSettings.fromBootstrap(root.resolve("envoy/envoy-local.yaml"))
            .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(5));
    envoy =
        EnvoyEmulator.start(0, settings, channel, URI.create("http://127.0.0.1:" + mock.port()));
  }

  @AfterAll
  static void stop() {
    envoy.close();
    channel.shutdownNow();
    tollgate.close();
    mock.close();
  }

  static OpenAIClient client(int retries) {
    return OpenAIOkHttpClient.builder()
        .apiKey(TestConfigs.SERVICE_KEY)
        .baseUrl(envoy.baseUrl())
        .maxRetries(retries)
        .build();
  }

  static ChatCompletionCreateParams.Builder chat(String user, long maxTokens) {
    return ChatCompletionCreateParams.builder()
        .model("gpt-4o-mini")
        .addUserMessage("What's the weather like in SF?")
        .maxCompletionTokens(maxTokens)
        .putAdditionalHeader("x-on-behalf-of", user);
  }

  static long used(String user) {
    return tollgate
        .quotas()
        .status("user:" + user, List.of(new Limit(Window.parse("3s"), Unit.TOKENS, 100)))
        .toCompletableFuture()
        .join()
        .get(0)
        .used();
  }

  @Test
  void everyApiWorksAndTheUpstreamKeyNeverLeaks() {
    OpenAIClient c = client(0);
    try {
      ChatCompletion done = c.chat().completions().create(chat("alice", 40).build());
      assertFalse(done.choices().get(0).message().content().orElseThrow().isEmpty());
      try (StreamResponse<ChatCompletionChunk> s =
          c.chat().completions().createStreaming(chat("bob", 40).build())) {
        assertTrue(s.stream().count() > 3);
      }
      assertTrue(
          c.responses()
              .create(
                  ResponseCreateParams.builder()
                      .model("gpt-4o-mini")
                      .input("hi")
                      .maxOutputTokens(40)
                      .putAdditionalHeader("x-on-behalf-of", "carol")
                      .build())
              .usage()
              .isPresent());
      assertEquals(
          8,
          c.embeddings()
              .create(
                  EmbeddingCreateParams.builder()
                      .model("text-embedding-3-small")
                      .input("The food was delicious and the waiter...")
                      .putAdditionalHeader("x-on-behalf-of", "dave")
                      .build())
              .usage()
              .promptTokens());
      assertTrue(
          mock.leakedKeys().isEmpty(),
          "the mock only ever saw the upstream key: " + mock.leakedKeys());
    } finally {
      c.close();
    }
  }

  @Test
  void theSettledUsageIsWhatTheUpstreamReported() throws Exception {
    OpenAIClient c = client(0);
    try (StreamResponse<ChatCompletionChunk> s =
        c.chat().completions().createStreaming(chat("erin", 60).build())) {
      s.stream().forEach(x -> {});
    } finally {
      c.close();
    }
    MockOpenAi.Usage served =
        mock.served().stream()
            .filter(u -> u.path().endsWith("/chat/completions"))
            .reduce((a, b) -> b)
            .orElseThrow();
    long expected = served.promptTokens() + served.completionTokens();
    await()
        .atMost(Duration.ofSeconds(2))
        .pollInterval(Duration.ofMillis(10))
        .untilAsserted(
            () ->
                assertEquals(
                    expected,
                    used("erin"),
                    "Tollgate added include_usage, read the usage, and settled it"));
  }

  @Test
  void overQuotaTheSdkHonoursRetryAfterThenSurfacesRateLimit() throws Exception {
    OpenAIClient retrying = client(2);
    OpenAIClient once = client(0);
    try {
      // 14 prompt + 60 reserved fits 100; settles at 14 + the answer's ~27 tokens
      retrying.chat().completions().create(chat("frank", 60).build());
      // a second reservation does not fit until the first rolls off the 3 s window: the SDK waits
      // retry-after (1-3 s) and its retry succeeds
      long t0 = System.nanoTime();
      retrying.chat().completions().create(chat("frank", 60).build());
      long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertTrue(waitedMs >= 900, "the SDK waited for retry-after: " + waitedMs + " ms");
      // larger than the whole limit: 429 with x-should-retry: false, no retries, RateLimitException
      RateLimitException e =
          assertThrows(
              RateLimitException.class,
              () -> retrying.chat().completions().create(chat("frank", 500).build()));
      assertEquals(429, e.statusCode());
      assertTrue(e.getMessage().contains("can never fit"), e.getMessage());
      assertEquals("false", e.headers().values("x-should-retry").get(0));
      // over the window without retries: the SDK surfaces the 429 at once
      once.chat().completions().create(chat("grace", 60).build());
      RateLimitException r =
          assertThrows(
              RateLimitException.class,
              () -> once.chat().completions().create(chat("grace", 60).build()));
      assertTrue(Integer.parseInt(r.headers().values("retry-after").get(0)) >= 1);
    } finally {
      retrying.close();
      once.close();
    }
  }

  @Test
  void aModelOutsideTheAllowlistIsRefused() {
    OpenAIClient c = client(0);
    try {
      long before = mock.requests();
      PermissionDeniedException e =
          assertThrows(
              PermissionDeniedException.class,
              () ->
                  c.chat()
                      .completions()
                      .create(
                          ChatCompletionCreateParams.builder()
                              .model("gpt-5-pro")
                              .addUserMessage("hi")
                              .build()));
      assertTrue(
          e.getMessage().contains("model_not_allowed") || e.getMessage().contains("not allowed"),
          e.getMessage());
      assertEquals(before, mock.requests(), "the upstream was never called");
    } finally {
      c.close();
    }
  }
}
