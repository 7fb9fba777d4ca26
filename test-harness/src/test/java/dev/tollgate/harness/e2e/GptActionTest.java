package dev.tollgate.harness.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.tollgate.TestConfigs;
import dev.tollgate.Tollgate;
import dev.tollgate.config.ConfigLoader;
import dev.tollgate.config.TollgateConfig;
import dev.tollgate.harness.envoy.EmulatorSettings;
import dev.tollgate.harness.envoy.EnvoyEmulator;
import dev.tollgate.quota.InMemoryQuotaStore;
import dev.tollgate.testsupport.RepoRoot;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ingress case end to end: ChatGPT's calls of a GPT Action (a plain HTTP API, not
 * OpenAI-shaped) → the Envoy emulator with {@code envoy/envoy-gpt-action.yaml}'s filters (ext_authz
 * only) → Tollgate with {@code server/examples/gpt-action.yaml} → the API.
 */
class GptActionTest {
  private static final String SECRET = "the-secret-configured-in-the-gpt-editor";

  private static HttpServer api;
  private static final AtomicInteger served = new AtomicInteger();
  private static final ConcurrentLinkedQueue<Map<String, String>> seen =
      new ConcurrentLinkedQueue<>();
  private static Tollgate tollgate;
  private static ManagedChannel channel;
  private static EnvoyEmulator envoy;
  private static final HttpClient client = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    api = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    api.createContext(
        "/",
        ex -> {
          served.incrementAndGet();
          Map<String, String> h = new java.util.HashMap<>();
          ex.getRequestHeaders().forEach((k, v) -> h.put(k.toLowerCase(), String.join(",", v)));
          seen.add(h);
          byte[] out = "{\"city\":\"Paris\",\"celsius\":21}".getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().add("content-type", "application/json");
          ex.sendResponseHeaders(200, out.length);
          ex.getResponseBody().write(out);
          ex.close();
        });
    api.start();
    Path root = RepoRoot.get();
    String yaml =
        Files.readString(root.resolve("server/examples/gpt-action.yaml"))
            .replace("grpc_address: 0.0.0.0", "grpc_address: 127.0.0.1")
            .replace("grpc_port: 50051", "grpc_port: 0")
            .replace("http_port: 8081", "http_port: -1");
    TollgateConfig config =
        ConfigLoader.parse(
            yaml, "gpt-action.yaml", Map.of("GPT_ACTION_KEY_SHA256", TestConfigs.sha256(SECRET)));
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
    EmulatorSettings settings =
        EmulatorSettings.fromBootstrap(root.resolve("envoy/envoy-gpt-action.yaml"))
            .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(5));
    envoy =
        EnvoyEmulator.start(
            0, settings, channel, URI.create("http://127.0.0.1:" + api.getAddress().getPort()));
  }

  @AfterAll
  static void stop() {
    envoy.close();
    channel.shutdownNow();
    tollgate.close();
    api.stop(0);
  }

  /** A call as ChatGPT makes it: the Action's secret as bearer, the user and conversation. */
  static HttpResponse<String> call(String path, String conversation, String bearer)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(envoy.baseUrl().replaceFirst("/v1$", "") + path))
            .header("openai-ephemeral-user-id", "user-8f3a")
            .header("openai-conversation-id", conversation)
            .GET();
    if (bearer != null) {
      b.header("authorization", "Bearer " + bearer);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aConversationOverItsRequestLimitGets429sWhileShadowLimitsOnlyReport() throws Exception {
    int before = served.get();
    for (int i = 1; i <= 10; i++) {
      HttpResponse<String> ok = call("/weather?city=Paris", "conv-1", SECRET);
      assertEquals(200, ok.statusCode(), ok.body());
      assertEquals("{\"city\":\"Paris\",\"celsius\":21}", ok.body());
      assertEquals("10", ok.headers().firstValue("x-ratelimit-limit-requests").orElseThrow());
      assertEquals(
          Integer.toString(10 - i),
          ok.headers().firstValue("x-ratelimit-remaining-requests").orElseThrow(),
          "the tightest enforced limit: never the shadow one of 5");
      assertTrue(ok.headers().firstValue("x-ratelimit-reset-requests").isPresent());
    }
    assertEquals(10, served.get() - before);
    Map<String, String> upstream = seen.peek();
    assertNull(upstream.get("authorization"), "the Action's secret stays at Tollgate");
    assertEquals("conv-1", upstream.get("openai-conversation-id"));
    assertEquals(
        5L,
        tollgate.stats().shadowExceeded().get("conversation:1m:requests"),
        "requests 6 to 10 went over the shadow limit of 5 and were served");

    HttpResponse<String> over = call("/weather?city=Paris", "conv-1", SECRET);
    assertEquals(429, over.statusCode());
    long retryAfter = Long.parseLong(over.headers().firstValue("retry-after").orElseThrow());
    assertTrue(retryAfter >= 1 && retryAfter <= 60, "retry-after " + retryAfter);
    assertEquals("10", over.headers().firstValue("x-ratelimit-limit-requests").orElseThrow());
    assertEquals("0", over.headers().firstValue("x-ratelimit-remaining-requests").orElseThrow());
    assertTrue(over.headers().firstValue("x-ratelimit-reset-requests").isPresent());
    JsonNode error = new ObjectMapper().readTree(over.body()).get("error");
    assertEquals("rate_limit_exceeded", error.get("code").asText());
    assertEquals("requests", error.get("type").asText());
    assertTrue(error.get("message").asText().contains("for this conversation"), over.body());
    assertEquals(10, served.get() - before, "a refused call never reaches the API");

    for (String spelling :
        new String[] {"/./weather", "/WEATHER", "/a//../weather", "/x/../weather", "/%77eather"}) {
      assertEquals(429, call(spelling, "conv-1", SECRET).statusCode(), spelling);
    }
    assertEquals(200, call("/weather", "conv-2", SECRET).statusCode(), "its own conversation");
    assertEquals(401, call("/weather", "conv-3", null).statusCode());
    assertEquals(401, call("/weather", "conv-3", "not-the-secret").statusCode());
  }
}
