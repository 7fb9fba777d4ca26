package dev.tollgate.envoy.extproc;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import dev.tollgate.Fixtures;
import dev.tollgate.TestConfigs;
import dev.tollgate.Tollgate;
import dev.tollgate.admin.Metrics;
import dev.tollgate.admission.AdmissionStats;
import dev.tollgate.quota.InMemoryQuotaStore;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.QuotaService;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.Window;
import dev.tollgate.response.BufferBudget;
import dev.tollgate.response.LargeAnswers;
import dev.tollgate.response.ResponseEvent;
import dev.tollgate.tokens.Encodings;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ext_proc with large, malformed or hostile answers: memory stays bounded, the client's response is
 * never touched, and what could not be believed is counted in the exported counters.
 */
class ExtProcBoundsTest {
  private static final Limit FIVE_MIN = new Limit(Window.parse("5m"), Unit.TOKENS, 1_000_000);
  private static final String SF_CHAT =
      "{\"model\":\"gpt-4o\",\"max_tokens\":200,\"messages\":[{\"role\":\"user\","
          + "\"content\":\"What's the weather like in SF?\"}]}";
  private static Tollgate tollgate;
  private static ManagedChannel channel;
  private static Server starved;
  private static ManagedChannel starvedChannel;
  private static ExtProcStats starvedStats = new ExtProcStats();
  private static byte[] capturedSse;
  private static int users;

  @BeforeAll
  static void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    InMemoryQuotaStore store = new InMemoryQuotaStore();
    // ticket keys of its own, so that the second ext_proc below opens this one's tickets; a
    // response
    // without a usage it believes settles from the deltas seen, which these tests follow
    tollgate =
        Tollgate.start(
            TestConfigs.parse(
                TestConfigs.yaml("- { scope: user, window: 5m, tokens: 1000000 }", "memory", "deny")
                    + "accounting: { ticket_keys: [\"bounds-test-ticket-key-0123456789abcdef\"], missing_usage: observed }\n"),
            InProcessServerBuilder.forName(name).directExecutor(),
            null,
            false,
            Clock.systemUTC(),
            store);
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    // an ext_proc on the same store whose shared buffer budget is empty: each stream has its free
    // bytes only
    String other = InProcessServerBuilder.generateName();
    starved =
        InProcessServerBuilder.forName(other)
            .directExecutor()
            .addService(
                new ExternalProcessorService(
                    tollgate.config(),
                    tollgate.quotas(),
                    new Encodings(),
                    starvedStats,
                    new dev.tollgate.accounting.TicketSeal(
                        tollgate.config().accounting().ticketKeys()),
                    new BufferBudget(0)))
            .build()
            .start();
    starvedChannel = InProcessChannelBuilder.forName(other).directExecutor().build();
    capturedSse =
        Files.readAllBytes(Fixtures.path("chat_completions/stream_include_usage_captured.sse"));
  }

  @AfterAll
  static void stop() {
    channel.shutdownNow();
    starvedChannel.shutdownNow();
    starved.shutdownNow();
    tollgate.close();
  }

  static Struct check(String user, String path, String body) {
    return ExternalProcessorServiceTest.check(channel, user, path, body);
  }

  static long used(String user) {
    return tollgate
        .quotas()
        .status("user:" + user, List.of(FIVE_MIN))
        .toCompletableFuture()
        .join()
        .get(0)
        .used();
  }

  static void awaitUsed(String user, long expected) throws InterruptedException {
    await()
        .atMost(Duration.ofSeconds(2))
        .pollInterval(Duration.ofMillis(5))
        .untilAsserted(
            () -> assertEquals(expected, used(user), "usage of " + user + " after settlement"));
  }

  /**
   * One stream ({@link ExternalProcessorServiceTest#run}: one reply per message, of its kind); the
   * response passes unchanged.
   */
  static void runUntouched(ManagedChannel ch, List<ProcessingRequest> messages) throws Exception {
    List<ProcessingResponse> replies = ExternalProcessorServiceTest.run(ch, messages);
    for (int i = 0; i < messages.size(); i++) {
      if (messages.get(i).hasResponseBody()) {
        assertFalse(replies.get(i).getResponseBody().hasResponse(), "the body passes unchanged");
      }
    }
  }

  static List<ProcessingRequest> answer(
      ExtProcStreams s, String path, String contentType, byte[] body, int chunk) {
    List<ProcessingRequest> m = new ArrayList<>();
    m.add(s.requestHeaders(path, false));
    m.add(s.responseHeaders(200, contentType, null, false));
    for (int i = 0; i < body.length; i += chunk) {
      m.add(
          s.responseBody(
              java.util.Arrays.copyOfRange(body, i, Math.min(body.length, i + chunk)), false));
    }
    m.add(s.responseBody(new byte[0], true));
    return m;
  }

  static String newUser() {
    return "b" + (users++);
  }

  @Test
  void aFifteenMibEmbeddingsAnswerInChunksSettlesItsUsage() throws Exception {
    String user = newUser();
    String body =
        "{\"model\":\"text-embedding-3-small\",\"input\":\"The food was delicious and the waiter...\"}";
    ExtProcStreams s = new ExtProcStreams(check(user, "/v1/embeddings", body));
    long before = tollgate.extProcStats().counts().get("settled_from_usage");
    runUntouched(
        channel,
        answer(
            s,
            "/v1/embeddings",
            "application/json",
            LargeAnswers.embeddings(15 << 20, true),
            64 << 10));
    awaitUsed(user, 8);
    assertEquals(before + 1, tollgate.extProcStats().counts().get("settled_from_usage"));
  }

  @Test
  void refusedUsageSettlesFromTheDeltasAndIsCounted() throws Exception {
    String lying =
        new String(capturedSse, StandardCharsets.UTF_8)
            .replace("\"completion_tokens\":30", "\"completion_tokens\":-30");
    String user = newUser();
    ExtProcStreams s = new ExtProcStreams(check(user, "/v1/chat/completions", SF_CHAT));
    Map<String, Long> before = tollgate.extProcStats().counts();
    runUntouched(
        channel,
        answer(
            s,
            "/v1/chat/completions",
            "text/event-stream",
            lying.getBytes(StandardCharsets.UTF_8),
            300));
    awaitUsed(user, 14 + 30);
    Map<String, Long> after = tollgate.extProcStats().counts();
    assertEquals(before.get("usage_refused") + 1, after.get("usage_refused"));
    assertEquals(before.get("settled_from_deltas") + 1, after.get("settled_from_deltas"));
  }

  @Test
  void aStreamTheBudgetRefusesIsPassedThroughSettledAsUnknownAndCounted() throws Exception {
    String text = new String(capturedSse, StandardCharsets.UTF_8);
    int usageChunk = text.lastIndexOf("data:", text.indexOf("\"choices\":[],"));
    String hostile =
        text.substring(0, usageChunk)
            + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\""
            + "x".repeat(200_000)
            + "\"}}]}\n\n"
            + text.substring(usageChunk);
    String user = newUser();
    ExtProcStreams s = new ExtProcStreams(check(user, "/v1/chat/completions", SF_CHAT));
    runUntouched(
        starvedChannel,
        answer(
            s,
            "/v1/chat/completions",
            "text/event-stream",
            hostile.getBytes(StandardCharsets.UTF_8),
            16 << 10));
    awaitUsed(user, 14 + 30); // the deltas seen before the budget ran out
    assertEquals(1, starvedStats.counts().get(ResponseEvent.BUFFER_BUDGET_EXHAUSTED.metricName()));
    assertEquals(1, starvedStats.counts().get("settled_from_deltas"));

    // the same answer on a server with room: the provider's usage
    String other = newUser();
    ExtProcStreams s2 = new ExtProcStreams(check(other, "/v1/chat/completions", SF_CHAT));
    runUntouched(
        channel,
        answer(
            s2,
            "/v1/chat/completions",
            "text/event-stream",
            hostile.getBytes(StandardCharsets.UTF_8),
            16 << 10));
    awaitUsed(other, 44);
  }

  @Test
  void everyResponseEventIsExported() throws Exception {
    ExtProcStats stats = new ExtProcStats();
    Map<String, Long> counts = stats.counts();
    for (ResponseEvent e : ResponseEvent.values()) {
      assertEquals(0L, counts.get(e.metricName()), e.metricName());
    }
    stats.count(ResponseEvent.USAGE_REFUSED);
    PrometheusRegistry registry = new PrometheusRegistry();
    Metrics.register(
        registry,
        new AdmissionStats(),
        stats,
        new QuotaService(
            new InMemoryQuotaStore(), Clock.systemUTC(), java.time.Duration.ofMillis(150)));
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(text, registry.scrape());
    String metrics = text.toString(StandardCharsets.UTF_8);
    assertTrue(
        metrics.contains("tollgate_extproc_events_total{event=\"usage_refused\"} 1"), metrics);
    assertTrue(
        metrics.contains("tollgate_extproc_events_total{event=\"buffer_budget_exhausted\"} 0"),
        metrics);
    assertTrue(metrics.contains("tollgate_extproc_buffered_bytes 0"), metrics);
  }

  @Test
  void theBudgetInUseIsReportedWhileAStreamHoldsItAndFreedAfter() throws Exception {
    String user = newUser();
    ExtProcStreams s = new ExtProcStreams(check(user, "/v1/chat/completions", SF_CHAT));
    LinkedBlockingQueue<ProcessingResponse> replies = new LinkedBlockingQueue<>();
    StreamObserver<ProcessingRequest> in =
        ExternalProcessorGrpc.newStub(channel)
            .process(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ProcessingResponse value) {
                    replies.add(value);
                  }

                  @Override
                  public void onError(Throwable t) {}

                  @Override
                  public void onCompleted() {}
                });
    in.onNext(s.requestHeaders("/v1/chat/completions", false));
    in.onNext(s.responseHeaders(200, "text/event-stream", null, false));
    // half an event of 300 KB: kept until its end comes
    in.onNext(
        s.responseBody(
            ("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + "y".repeat(300_000))
                .getBytes(StandardCharsets.UTF_8),
            false));
    for (int i = 0; i < 3; i++) {
      assertTrue(replies.poll(2, TimeUnit.SECONDS) != null);
    }
    long held = tollgate.extProcStats().bufferedBytes();
    assertTrue(held >= 300_000 - BufferBudget.FREE_BYTES_PER_STREAM, "held " + held);
    in.onNext(s.responseBody("\"}}]}\n\n".getBytes(StandardCharsets.UTF_8), true));
    assertTrue(replies.poll(2, TimeUnit.SECONDS) != null);
    in.onCompleted();
    assertEquals(
        0, tollgate.extProcStats().bufferedBytes(), "given back at the end of the response");
  }
}
