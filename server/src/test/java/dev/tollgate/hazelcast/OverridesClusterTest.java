package dev.tollgate.hazelcast;

import static dev.tollgate.admin.AdminServiceOverridesTestSupport.set;
import static dev.tollgate.admin.AdminServiceOverridesTestSupport.tokens;
import static dev.tollgate.admin.AdminServiceOverridesTestSupport.usd;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.rpc.Code;
import dev.tollgate.InProcessReplica;
import dev.tollgate.admin.v1.ClearOverrideRequest;
import dev.tollgate.admin.v1.GetUsageRequest;
import dev.tollgate.admin.v1.ListOverridesRequest;
import dev.tollgate.admin.v1.Scope;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Three Tollgate replicas on a three-member Hazelcast cluster: an override set through one
 * replica's admin API applies to the Checks of every replica as soon as its event arrives, from
 * each member's local copy; a cleared one stops applying everywhere.
 */
class OverridesClusterTest {
  private static HazelcastTestCluster cluster;
  private static final List<InProcessReplica> replicas = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    cluster = new HazelcastTestCluster(3, 1, Duration.ofSeconds(2));
    for (int i = 0; i < 3; i++) {
      replicas.add(
          new InProcessReplica(
              InProcessReplica.config("- { scope: user, window: 5m, tokens: 20000 }", "memory"),
              new HazelcastQuotaStore(cluster.members.get(i), false)));
    }
  }

  @AfterAll
  static void stop() {
    replicas.forEach(InProcessReplica::close);
    cluster.close();
  }

  private static double limitTokens(CheckResponse r) {
    assertEquals(Code.OK_VALUE, r.getStatus().getCode(), r.toString());
    return r.getDynamicMetadata().getFieldsMap().get("ratelimit_limit_tokens").getNumberValue();
  }

  private static void awaitOnEveryReplica(String user, boolean present) {
    await("the override of " + user + (present ? " on" : " gone from") + " every replica")
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(10))
        .until(
            () ->
                replicas.stream()
                    .allMatch(
                        r ->
                            r.tollgate
                                    .overrides()
                                    .get(dev.tollgate.quota.Scope.USER, user)
                                    .isPresent()
                                == present));
  }

  @Test
  void anOverrideSetOnOneReplicaAppliesOnTheOthers() {
    assertEquals(20000, limitTokens(replicas.get(2).check("alice", 100)));
    replicas.get(0).admin().setOverride(set(Scope.USER, "alice", tokens("1h", 5_000)));
    // on the replica that set it: at once
    assertEquals(5000, limitTokens(replicas.get(0).check("alice", 100)));
    awaitOnEveryReplica("alice", true);
    assertEquals(5000, limitTokens(replicas.get(1).check("alice", 100)));
    assertEquals(5000, limitTokens(replicas.get(2).check("alice", 100)));
    // GetUsage and ListOverrides on another replica show it
    var usage =
        replicas
            .get(2)
            .admin()
            .getUsage(
                GetUsageRequest.newBuilder()
                    .setScope(Scope.USER)
                    .setId("alice")
                    .setTier("default")
                    .build());
    assertTrue(usage.hasOverride());
    assertEquals("1h", usage.getWindows(0).getWindow());
    assertEquals(3 * 109.0, usage.getWindows(0).getUsed(), 3 * 20.0);
    assertEquals(
        1,
        replicas
            .get(1)
            .admin()
            .listOverrides(ListOverridesRequest.newBuilder().setScope(Scope.USER).build())
            .getOverridesList()
            .stream()
            .filter(o -> o.getId().equals("alice"))
            .count());

    // replaced on replica 1, cleared on replica 2
    replicas.get(1).admin().setOverride(set(Scope.USER, "alice", tokens("1h", 7_000)));
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(10))
        .until(() -> limitTokens(replicas.get(0).check("alice", 1)) == 7000);
    assertTrue(
        replicas
            .get(2)
            .admin()
            .clearOverride(
                ClearOverrideRequest.newBuilder().setScope(Scope.USER).setId("alice").build())
            .getCleared());
    awaitOnEveryReplica("alice", false);
    for (InProcessReplica r : replicas) {
      assertEquals(20000, limitTokens(r.check("alice", 1)));
    }
  }

  @Test
  void aNewMembersCopyHoldsTheOverridesSetBeforeIt() {
    replicas.get(0).admin().setOverride(set(Scope.USER, "early", usd("month", 2)));
    replicas.get(1).admin().setOverride(set(Scope.KEY, "batch", tokens("1d", 9)));
    try (HazelcastOverrides late = new HazelcastOverrides(cluster.members.get(2))) {
      assertTrue(late.get(dev.tollgate.quota.Scope.USER, "early").isPresent());
      assertEquals(
          9, late.get(dev.tollgate.quota.Scope.KEY, "batch").orElseThrow().limits().get(0).max());
      assertFalse(late.get(dev.tollgate.quota.Scope.USER, "batch").isPresent());
    }
    replicas.get(0).tollgate.overrides().clear(dev.tollgate.quota.Scope.USER, "early");
    replicas.get(0).tollgate.overrides().clear(dev.tollgate.quota.Scope.KEY, "batch");
  }
}
