package dev.tollgate.envoy.authz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.rpc.Code;
import dev.tollgate.TestConfigs;
import dev.tollgate.Tollgate;
import dev.tollgate.quota.InMemoryQuotaStore;
import dev.tollgate.testsupport.EnvoyChecks;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.time.Clock;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * In-process gRPC with one gRPC thread (every thread of a busy pool): a Check with a body of
 * megabytes, slow to count, does not hold up a small Check, which is answered within Envoy's
 * timeout.
 */
class LargeBodyIsolationTest {
  private static final String CHAT = "/v1/chat/completions";
  private Tollgate tollgate;
  private ManagedChannel channel;

  @AfterEach
  void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (tollgate != null) {
      tollgate.close();
    }
  }

  /** Words just under the exact-merge limit: the slowest text per byte to count exactly. */
  private static String slowText(int bytes) {
    Random random = new Random(11);
    StringBuilder sb = new StringBuilder(bytes + 64 * 1024);
    while (sb.length() < bytes) {
      for (int i = 0; i < 60 * 1024; i++) {
        sb.append((char) ('a' + random.nextInt(26)));
      }
      sb.append(' ');
    }
    return sb.toString();
  }

  @Test
  void aSmallCheckIsAnsweredPromptlyWhileAHugeOneIsCounted() throws Exception {
    ExecutorService grpcThreads = Executors.newFixedThreadPool(1);
    String name = InProcessServerBuilder.generateName();
    tollgate =
        Tollgate.start(
            TestConfigs.withLimits(TestConfigs.DEFAULT_LIMITS),
            InProcessServerBuilder.forName(name).executor(grpcThreads),
            grpcThreads,
            false,
            Clock.systemUTC(),
            new InMemoryQuotaStore());
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    String small =
        "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],\"max_tokens\":5}";
    String huge =
        "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\""
            + slowText(6 << 20)
            + "\"}],\"max_tokens\":5}";
    var blocking = AuthorizationGrpc.newBlockingStub(channel);
    blocking.check(
        EnvoyChecks.post(CHAT).bearer(TestConfigs.SERVICE_KEY).json(small).build()); // warm up

    // several huge Checks at once: the large-body pool counts them one after another
    List<ListenableFuture<CheckResponse>> bigs = new java.util.ArrayList<>();
    for (int i = 0; i < 4; i++) {
      bigs.add(
          AuthorizationGrpc.newFutureStub(channel)
              .check(EnvoyChecks.post(CHAT).bearer(TestConfigs.SERVICE_KEY).json(huge).build()));
    }
    Thread.sleep(50); // the huge Checks are being counted
    for (int i = 0; i < 3; i++) {
      long s0 = System.nanoTime();
      CheckResponse r =
          blocking
              .withDeadlineAfter(250, TimeUnit.MILLISECONDS)
              .check(
                  EnvoyChecks.post(CHAT)
                      .bearer(TestConfigs.SERVICE_KEY)
                      .header("x-on-behalf-of", "u" + i)
                      .json(small)
                      .build());
      assertEquals(Code.OK_VALUE, r.getStatus().getCode(), r.toString());
      assertTrue((System.nanoTime() - s0) / 1_000_000 < 250);
    }
    assertTrue(
        bigs.stream().anyMatch(f -> !f.isDone()),
        "huge Checks were still being counted: the test shows nothing otherwise");
    for (ListenableFuture<CheckResponse> big : bigs) {
      CheckResponse bigAnswer = big.get(60, TimeUnit.SECONDS);
      assertTrue(bigAnswer.hasDeniedResponse() || bigAnswer.hasOkResponse(), bigAnswer.toString());
    }
  }

  @Test
  void aFullLargeBodyExecutorRefusesAtOnceWith503AndSmallChecksStillPass() throws Exception {
    var config = TestConfigs.withLimits(TestConfigs.DEFAULT_LIMITS);
    var stats = new dev.tollgate.admission.AdmissionStats();
    Clock clock = Clock.systemUTC();
    var admission =
        new dev.tollgate.admission.Admission(
            config,
            new dev.tollgate.tokens.PromptCounter(new dev.tollgate.tokens.Encodings()),
            new dev.tollgate.quota.QuotaService(
                new InMemoryQuotaStore(), clock, config.store().deadline()),
            new dev.tollgate.auth.InMemoryNonceStore(),
            clock,
            stats,
            new dev.tollgate.accounting.TicketSeal(
                java.util.List.of(
                    new dev.tollgate.config.Secret(
                        "large-body-test-ticket-key-0123456789", "test"))));
    java.util.concurrent.Executor full =
        task -> {
          throw new java.util.concurrent.RejectedExecutionException("full");
        };
    var service = new AuthorizationService(admission, full, 1024, stats);
    String large =
        "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\""
            + "word ".repeat(1000)
            + "\"}]}";
    CheckResponse busy = checkDirectly(service, large);
    assertEquals(503, busy.getDeniedResponse().getStatus().getCodeValue(), busy.toString());
    assertTrue(busy.getDeniedResponse().getBody().contains("large_request_busy"));
    assertTrue(
        busy.getDeniedResponse().getHeadersList().stream()
            .anyMatch(
                h ->
                    h.getHeader().getKey().equals("retry-after")
                        && h.getHeader().getValue().equals("1")));
    assertEquals(1L, stats.counts().get("request.large_busy"));
    CheckResponse small =
        checkDirectly(
            service,
            "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertEquals(Code.OK_VALUE, small.getStatus().getCode(), small.toString());
  }

  private static CheckResponse checkDirectly(AuthorizationService service, String json)
      throws Exception {
    java.util.concurrent.CompletableFuture<CheckResponse> answer =
        new java.util.concurrent.CompletableFuture<>();
    service.check(
        EnvoyChecks.post(CHAT).bearer(TestConfigs.SERVICE_KEY).json(json).build(),
        new io.grpc.stub.StreamObserver<>() {
          @Override
          public void onNext(CheckResponse value) {
            answer.complete(value);
          }

          @Override
          public void onError(Throwable t) {
            answer.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {}
        });
    return answer.get(10, TimeUnit.SECONDS);
  }
}
