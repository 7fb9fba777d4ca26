package dev.tollgate.harness.bench;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.tollgate.harness.envoy.EmulatorSettings;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.Window;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The benchmark's request cycles drive Tollgate's real admission and accounting. */
class EnvoyCyclesTest {
  private static final List<Limit> FIVE_MINUTES =
      List.of(new Limit(Window.parse("5m"), Unit.TOKENS, 1_000_000_000_000L));
  private static BenchTarget target;
  private static ManagedChannel channel;
  private static EmulatorSettings settings;

  @BeforeAll
  static void start() throws Exception {
    target = BenchTarget.start(0);
    channel = NettyChannelBuilder.forAddress("127.0.0.1", target.grpcPort()).usePlaintext().build();
    // connected before the first Check, whose deadline is Envoy's 250 ms: on a busy machine the
    // connection alone can take that long
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> channel.getState(true) == ConnectivityState.READY);
    EmulatorSettings envoy =
        EmulatorSettings.fromBootstrap(BenchCommandTest.root().resolve("envoy/envoy-local.yaml"));
    // these tests are about what a cycle sends and settles, not Envoy's 250 ms Check timeout,
    // which a cold JVM on a busy machine can miss
    settings = envoy.withTimeouts(Duration.ofSeconds(10), envoy.messageTimeout());
  }

  @AfterAll
  static void stop() {
    channel.shutdownNow();
    target.close();
  }

  static String run(LoadGenerator.Cycle cycle, long seq) throws Exception {
    CompletableFuture<String> done = new CompletableFuture<>();
    cycle.start(seq, error -> done.complete(error == null ? "ok" : error));
    String r = done.get(10, TimeUnit.SECONDS);
    return r.equals("ok") ? null : r;
  }

  static long used(String user) {
    return target
        .tollgate()
        .quotas()
        .status("user:" + user, FIVE_MINUTES)
        .toCompletableFuture()
        .join()
        .get(0)
        .used();
  }

  @Test
  void aStreamedCycleSettlesTheUsageOfItsSseAnswer() throws Exception {
    EnvoyCycles cycles = new EnvoyCycles(settings, List.of(channel), BenchTarget.SERVICE_KEY);
    List<ByteString> bodies = Workload.C.bodies(1);
    assertNull(run(cycles.cycle(Workload.C, bodies, Workload.sseChunks()), 7));
    await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(10))
        .untilAsserted(
            () ->
                assertEquals(
                    325,
                    used("user-7"),
                    "the reservation settled at the answer's usage (250 prompt + 75 completion)"));
  }

  @Test
  void aCheckCycleReservesThePromptAndMaxTokens() throws Exception {
    EnvoyCycles cycles = new EnvoyCycles(settings, List.of(channel), BenchTarget.SERVICE_KEY);
    assertNull(run(cycles.cycle(Workload.A, Workload.A.bodies(1), Workload.sseChunks()), 8));
    long reserved = used("user-8");
    assertTrue(
        reserved > 256 + 150 && reserved < 256 + 600,
        "max_tokens 256 + the prompt of a 1 KiB body: " + reserved);
  }

  @Test
  void aRefusedCheckIsAnError() throws Exception {
    EnvoyCycles cycles = new EnvoyCycles(settings, List.of(channel), "not-the-key");
    String error = run(cycles.cycle(Workload.A, Workload.A.bodies(1), Workload.sseChunks()), 9);
    assertTrue(error != null && error.startsWith("Check denied: HTTP 401"), error);
  }
}
