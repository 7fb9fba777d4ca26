package dev.tollgate.envoy.extproc;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import dev.tollgate.Fixtures;
import dev.tollgate.TestConfigs;
import dev.tollgate.Tollgate;
import dev.tollgate.hazelcast.HazelcastQuotaStore;
import dev.tollgate.hazelcast.HazelcastTestCluster;
import dev.tollgate.quota.LeasingQuotaStore;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.Window;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Three replicas with {@code store.leases: true} on a three-member cluster: Checks on every replica
 * admit the global key from slices, settlements land on other replicas, and once the slices are
 * given back the global and user records hold exactly the settled usage.
 */
class LeasesThroughReplicasTest {
  private static final Limit GLOBAL = new Limit(Window.parse("1h"), Unit.TOKENS, 100_000_000);
  private static final Limit USER = new Limit(Window.parse("5m"), Unit.TOKENS, 1_000_000);
  private static final String CHAT = "/v1/chat/completions";
  private static final String SF_CHAT =
      "{\"model\":\"gpt-4o\",\"max_tokens\":200,\"messages\":[{\"role\":\"user\","
          + "\"content\":\"What's the weather like in SF?\"}]}";
  private static final int CHECKS = 90;
  private static HazelcastTestCluster cluster;
  private static final List<Tollgate> replicas = new ArrayList<>();
  private static final List<ManagedChannel> channels = new ArrayList<>();
  private static byte[] sse;

  @BeforeAll
  static void start() throws Exception {
    cluster = new HazelcastTestCluster(3, 1, Duration.ofSeconds(5));
    String limits =
        "- { scope: user, window: 5m, tokens: 1000000 }\n"
            + "- { scope: global, window: 1h, tokens: 100000000 }";
    for (int i = 0; i < 3; i++) {
      String yaml =
          TestConfigs.yaml(limits, "hazelcast", "deny")
              // three members in one JVM on a busy machine: a store call may take longer
              .replace("deadline_ms: 150", "deadline_ms: 5000, leases: true");
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

  private static long used(String key, Limit limit) {
    return replicas
        .get(0)
        .quotas()
        .status(key, List.of(limit))
        .toCompletableFuture()
        .join()
        .get(0)
        .used();
  }

  @Test
  void checksAdmittedFromSlicesSettleExactly() throws Exception {
    for (Tollgate t : replicas) {
      assertInstanceOf(LeasingQuotaStore.class, t.quotaStore());
    }
    long before = used("global", GLOBAL);
    List<Struct> admitted = new ArrayList<>();
    for (int i = 0; i < CHECKS; i++) {
      admitted.add(
          ExternalProcessorServiceTest.check(channels.get(i % 3), "lease" + i, CHAT, SF_CHAT));
    }
    for (int i = 0; i < CHECKS; i++) {
      ExternalProcessorServiceTest.run(
          channels.get((i + 1) % 3),
          ExternalProcessorServiceTest.sseStream(new ExtProcStreams(admitted.get(i)), sse));
    }
    await("every slice given back and every settlement counted")
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(20))
        .untilAsserted(() -> assertEquals(before + CHECKS * 44L, used("global", GLOBAL)));
    for (int i = 0; i < CHECKS; i += 17) {
      assertEquals(44, used("user:lease" + i, USER));
    }
    long local =
        replicas.stream()
            .mapToLong(t -> ((LeasingQuotaStore) t.quotaStore()).localAdmissions())
            .sum();
    assertTrue(local > 0, "some Checks were admitted from slices");
  }
}
