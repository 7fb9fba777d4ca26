package dev.tollgate.hazelcast;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.InProcessReplica;
import dev.tollgate.TestConfigs;
import dev.tollgate.alerts.AlertReceiver;
import dev.tollgate.config.TollgateConfig;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.Window;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Three Tollgate replicas on a three-member Hazelcast cluster, every one of them seeing the same
 * crossings: each alert reaches the receiver once, claimed in the cluster by the first replica.
 * (Daily windows: the test runs on the system clock, and a period boundary would count as new
 * alerts.)
 */
class AlertsClusterTest {
  private static HazelcastTestCluster cluster;
  private static AlertReceiver receiver;
  private static final List<InProcessReplica> replicas = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    cluster = new HazelcastTestCluster(3, 1, Duration.ofSeconds(2));
    receiver = new AlertReceiver();
    String yaml =
        TestConfigs.yaml(
                    """
                - { scope: user,   window: 1d, tokens: 1000 }
                - { scope: global, window: 1d, tokens: 1600 }
                """,
                    "memory",
                    "deny")
                .replace("deadline_ms: 150", "deadline_ms: 2000")
            + """
        alerts:
          webhooks: [ { name: ops, url: "%s" } ]
          rules:
            - { scope: user, at: [0.8, 1.0] }
            - { scope: global, at: [0.5] }
        """
                .formatted(receiver.url("/ops"));
    TollgateConfig config = TestConfigs.parse(yaml);
    for (int i = 0; i < 3; i++) {
      replicas.add(
          new InProcessReplica(config, new HazelcastQuotaStore(cluster.members.get(i), false)));
    }
  }

  @AfterAll
  static void stop() {
    replicas.forEach(InProcessReplica::close);
    receiver.close();
    cluster.close();
  }

  private static long used(String key, long max) {
    Limit day = new Limit(Window.parse("1d"), Unit.TOKENS, max);
    return replicas
        .get(0)
        .tollgate
        .quotas()
        .status(key, List.of(day))
        .toCompletableFuture()
        .join()
        .get(0)
        .used();
  }

  @Test
  void threeReplicasSeeingTheSameCrossingsSendEachAlertOnce() {
    // alice through the replicas in turn, until each has been refused twice
    int refused = 0;
    for (int i = 0; i < 30 && refused < 6; i++) {
      int code = replicas.get(i % 3).check("alice", 100).getStatus().getCode();
      if (code != 0) {
        refused++;
      }
    }
    assertEquals(6, refused, "alice ends over her limit, refused on every replica");
    assertTrue(used("global", 1600) >= 800, "global is above half of 1600");
    // every replica now sees global above 0.5
    for (InProcessReplica r : replicas) {
      assertEquals(0, r.check("bob", 10).getStatus().getCode());
    }
    await("every replica's alerts claimed and delivered")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> replicas.stream().allMatch(r -> r.tollgate.alerts().idle()));

    Set<String> seen = new TreeSet<>();
    for (AlertReceiver.Received r : receiver.on("/ops")) {
      JsonNode a = r.json();
      seen.add(a.get("scope").asText() + " " + a.get("id").asText() + " " + a.get("threshold"));
    }
    assertEquals(Set.of("global  0.5", "user alice 0.8", "user alice 1.0"), seen);
    assertEquals(3, receiver.on("/ops").size(), "each once: " + receiver.on("/ops"));
    long sent = replicas.stream().mapToLong(r -> r.tollgate.alerts().stats().sent("ops")).sum();
    assertEquals(3, sent);
  }
}
