package dev.tollgate.envoy.extproc;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Struct;
import dev.tollgate.Fixtures;
import dev.tollgate.TestConfigs;
import dev.tollgate.Tollgate;
import dev.tollgate.hazelcast.HazelcastQuotaStore;
import dev.tollgate.hazelcast.HazelcastTestCluster;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.Window;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Three Tollgate replicas on a three-member Hazelcast cluster, as Kubernetes runs them: Envoy's
 * Check may land on one replica and its ext_proc stream on another. Two share the generated cluster
 * ticket key; the third is configured with ticket keys of its own.
 */
class SettlementAcrossReplicasTest {
  private static final Limit FIVE_MIN = new Limit(Window.parse("5m"), Unit.TOKENS, 1_000_000);
  private static final String CHAT = "/v1/chat/completions";
  private static final String SF_CHAT =
      "{\"model\":\"gpt-4o\",\"max_tokens\":200,\"messages\":[{\"role\":\"user\","
          + "\"content\":\"What's the weather like in SF?\"}]}";
  private static HazelcastTestCluster cluster;
  private static final List<Tollgate> replicas = new ArrayList<>();
  private static final List<ManagedChannel> channels = new ArrayList<>();
  private static byte[] sse;

  @BeforeAll
  static void start() throws Exception {
    cluster = new HazelcastTestCluster(3, 1, Duration.ofSeconds(2));
    String limits = "- { scope: user, window: 5m, tokens: 1000000 }";
    String own = "accounting: { ticket_keys: [\"a-configured-ticket-key-0123456789abcdef\"] }\n";
    for (int i = 0; i < 3; i++) {
      String yaml =
          TestConfigs.yaml(limits, "memory", "deny")
                  // three members in one JVM on a busy machine: a store call may take longer
                  .replace("deadline_ms: 150", "deadline_ms: 5000")
              + (i == 2 ? own : "");
      String name = InProcessServerBuilder.generateName();
      replicas.add(
          Tollgate.start(
              TestConfigs.parse(yaml),
              InProcessServerBuilder.forName(name).directExecutor(),
              null,
              false,
              Clock.systemUTC(),
              new HazelcastQuotaStore(cluster.members.get(i), false)));
      channels.add(InProcessChannelBuilder.forName(name).directExecutor().build());
    }
    sse = Files.readAllBytes(Fixtures.path("chat_completions/stream_include_usage_captured.sse"));
  }

  @AfterAll
  static void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    replicas.forEach(Tollgate::close);
    cluster.close();
  }

  private static long used(String user) {
    return replicas
        .get(0)
        .quotas()
        .status("user:" + user, List.of(FIVE_MIN))
        .toCompletableFuture()
        .join()
        .get(0)
        .used();
  }

  private static void awaitUsed(String user, long expected) throws InterruptedException {
    await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(10))
        .untilAsserted(() -> assertEquals(expected, used(user)));
  }

  private static long count(int replica, String name) {
    return replicas.get(replica).extProcStats().counts().get(name);
  }

  @Test
  void aTicketFromOneReplicaSettlesOnAnotherOnceClusterWide() throws Exception {
    Struct md = ExternalProcessorServiceTest.check(channels.get(0), "alice", CHAT, SF_CHAT);
    assertEquals(214, used("alice"));
    ExternalProcessorServiceTest.run(
        channels.get(1), ExternalProcessorServiceTest.sseStream(new ExtProcStreams(md), sse));
    awaitUsed("alice", 44);
    // replayed on the replica that issued it, and on the other: held no more
    long notHeld = count(0, "settlement_not_held") + count(1, "settlement_not_held");
    for (int r = 0; r < 2; r++) {
      ExtProcStreams s = new ExtProcStreams(md);
      ExternalProcessorServiceTest.run(
          channels.get(r),
          List.of(
              s.requestHeaders(CHAT, false),
              s.responseHeaders(500, "application/json", null, false),
              s.responseBody("{}".getBytes(StandardCharsets.UTF_8), true)));
    }
    await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(10))
        .until(
            () -> count(0, "settlement_not_held") + count(1, "settlement_not_held") >= notHeld + 2);
    assertEquals(notHeld + 2, count(0, "settlement_not_held") + count(1, "settlement_not_held"));
    assertEquals(44, used("alice"));
  }

  @Test
  void aReplicaWithOtherTicketKeysRefusesTheTicket() throws Exception {
    Struct md = ExternalProcessorServiceTest.check(channels.get(0), "bob", CHAT, SF_CHAT);
    long invalid = count(2, "ticket_invalid");
    ExternalProcessorServiceTest.run(
        channels.get(2), ExternalProcessorServiceTest.sseStream(new ExtProcStreams(md), sse));
    assertEquals(invalid + 1, count(2, "ticket_invalid"));
    assertEquals(214, used("bob"));
  }
}
