package dev.tollgate;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.rpc.Code;
import dev.tollgate.testsupport.EnvoyChecks;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three {@code tollgate serve} processes on loopback form one Hazelcast cluster; Envoy-shaped
 * Checks sent round-robin across them draw on one shared quota.
 */
class ClusterServeIT {
  @TempDir Path dir;

  @Test
  void threeReplicasShareOneQuota() throws Exception {
    int n = 3;
    LoopbackReplicas replicas =
        new LoopbackReplicas(n, dir, "- { scope: user, window: 5m, tokens: 3000 }", "");
    int[] grpc = replicas.grpcPorts;
    List<Process> procs = new ArrayList<>();
    List<ManagedChannel> channels = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        procs.add(replicas.start(i));
        channels.add(NettyChannelBuilder.forAddress("127.0.0.1", grpc[i]).usePlaintext().build());
        // one after the other: each joins the cluster the earlier ones formed
        awaitServing(channels.get(i), procs.get(i), replicas.log(i));
      }
      String last = Files.readString(replicas.log(n - 1));
      assertTrue(last.contains(n + " member(s)"), last);
      // warm up: every replica answers promptly once partitions have settled after the joins
      String small =
          "{\"model\":\"gpt-4o-mini\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
      long warmDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      int streak = 0;
      for (int i = 0; streak < 3 * n && System.nanoTime() < warmDeadline; i++) {
        CheckResponse w =
            AuthorizationGrpc.newBlockingStub(channels.get(i % n))
                .withDeadlineAfter(5, TimeUnit.SECONDS)
                .check(
                    EnvoyChecks.post("/v1/chat/completions")
                        .bearer(TestConfigs.SERVICE_KEY)
                        .header("x-on-behalf-of", "warm-up-" + i)
                        .json(small)
                        .build());
        streak = w.getStatus().getCode() == Code.OK_VALUE ? streak + 1 : 0;
      }
      assertEquals(3 * n, streak, "replicas answer promptly after warm-up");
      // 1003-token requests (8 prompt + 995 max_tokens): 3000 per 5 minutes fits fewer than 3,
      // across any replica
      String body =
          "{\"model\":\"gpt-4o-mini\",\"max_tokens\":995,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
      int allowed = 0;
      int denied = 0;
      for (int i = 0; i < 6; i++) {
        CheckResponse r =
            AuthorizationGrpc.newBlockingStub(channels.get(i % n))
                .withDeadlineAfter(5, TimeUnit.SECONDS)
                .check(
                    EnvoyChecks.post("/v1/chat/completions")
                        .bearer(TestConfigs.SERVICE_KEY)
                        .header("x-on-behalf-of", "shared-user")
                        .json(body)
                        .build());
        if (r.getStatus().getCode() == Code.OK_VALUE) {
          allowed++;
        } else {
          assertEquals(429, r.getDeniedResponse().getStatus().getCodeValue(), r.toString());
          denied++;
        }
      }
      assertEquals(2, allowed, "one quota across the replicas");
      assertEquals(4, denied);
    } finally {
      for (ManagedChannel ch : channels) {
        ch.shutdownNow();
      }
      for (Process p : procs) {
        p.destroy();
      }
      for (Process p : procs) {
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
    }
  }

  /**
   * Waits up to 90 s for the process to report SERVING; fails at once, with its log, if it dies.
   */
  static void awaitServing(ManagedChannel ch, Process p, Path log) throws Exception {
    HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(ch);
    try {
      await()
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> serving(health, p, log));
    } catch (ConditionTimeoutException e) {
      throw new AssertionError("not serving:\n" + Files.readString(log), e);
    }
  }

  private static boolean serving(HealthGrpc.HealthBlockingStub health, Process p, Path log)
      throws IOException {
    try {
      return health
              .withDeadlineAfter(1, TimeUnit.SECONDS)
              .check(HealthCheckRequest.getDefaultInstance())
              .getStatus()
          == HealthCheckResponse.ServingStatus.SERVING;
    } catch (io.grpc.StatusRuntimeException e) {
      assertTrue(p.isAlive(), "process died:\n" + Files.readString(log));
      return false;
    }
  }
}
