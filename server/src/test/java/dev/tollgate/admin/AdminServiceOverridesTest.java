package dev.tollgate.admin;

import static dev.tollgate.admin.AdminServiceOverridesTestSupport.set;
import static dev.tollgate.admin.AdminServiceOverridesTestSupport.tokens;
import static dev.tollgate.admin.AdminServiceOverridesTestSupport.usd;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.InProcessReplica;
import dev.tollgate.TestConfigs;
import dev.tollgate.admin.v1.ClearOverrideRequest;
import dev.tollgate.admin.v1.GetUsageRequest;
import dev.tollgate.admin.v1.GetUsageResponse;
import dev.tollgate.admin.v1.LimitValue;
import dev.tollgate.admin.v1.ListOverridesRequest;
import dev.tollgate.admin.v1.Override;
import dev.tollgate.admin.v1.Scope;
import dev.tollgate.admin.v1.SetOverrideRequest;
import dev.tollgate.admin.v1.WindowUsage;
import dev.tollgate.quota.InMemoryQuotaStore;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The admin API's override calls: validation, set / list / clear, and GetUsage. */
class AdminServiceOverridesTest {
  private InProcessReplica replica;

  @BeforeEach
  void start() throws Exception {
    replica =
        new InProcessReplica(
            InProcessReplica.config(
                "- { scope: user, window: 5m, tokens: 20000 }\n"
                    + "- { scope: user, window: month, usd: 5.00 }",
                "memory"),
            new InMemoryQuotaStore());
  }

  @AfterEach
  void stop() {
    replica.close();
  }

  @Test
  void setListAndClear() {
    var admin = replica.admin();
    Override alice =
        admin
            .setOverride(set(Scope.USER, "alice", tokens("1d", 500_000), usd("month", 50)))
            .getOverride();
    assertEquals(Scope.USER, alice.getScope());
    assertEquals("alice", alice.getId());
    assertEquals(List.of(tokens("1d", 500_000), usd("month", 50)), alice.getLimitsList());
    assertTrue(alice.getUpdatedAtMillis() > 0);
    admin.setOverride(set(Scope.KEY, "web", tokens("1h", 1_000_000)));
    admin.setOverride(set(Scope.USER, "bob", tokens("5m", 10)));
    // replacing: the new limits only
    admin.setOverride(set(Scope.USER, "bob", usd("1d", 0.25)));

    assertEquals(
        List.of("user:alice", "user:bob", "key:web"),
        ids(admin.listOverrides(ListOverridesRequest.getDefaultInstance()).getOverridesList()));
    assertEquals(
        List.of("key:web"),
        ids(
            admin
                .listOverrides(ListOverridesRequest.newBuilder().setScope(Scope.KEY).build())
                .getOverridesList()));
    List<Override> users =
        admin
            .listOverrides(ListOverridesRequest.newBuilder().setScope(Scope.USER).build())
            .getOverridesList();
    assertEquals(List.of(usd("1d", 0.25)), users.get(1).getLimitsList());

    assertTrue(admin.clearOverride(clear(Scope.USER, "bob")).getCleared());
    assertFalse(admin.clearOverride(clear(Scope.USER, "bob")).getCleared());
    assertFalse(admin.clearOverride(clear(Scope.KEY, "alice")).getCleared());
    assertEquals(
        List.of("user:alice", "key:web"),
        ids(admin.listOverrides(ListOverridesRequest.getDefaultInstance()).getOverridesList()));
  }

  private static ClearOverrideRequest clear(Scope scope, String id) {
    return ClearOverrideRequest.newBuilder().setScope(scope).setId(id).build();
  }

  private static List<String> ids(List<Override> overrides) {
    return overrides.stream()
        .map(o -> o.getScope().name().toLowerCase(java.util.Locale.ROOT) + ":" + o.getId())
        .toList();
  }

  @Test
  void badOverridesAreInvalidArgumentSayingWhatWasExpected() {
    List<LimitValue> seventeen = new ArrayList<>();
    for (int i = 1; i <= 17; i++) {
      seventeen.add(tokens(i + "m", 100));
    }
    Map<SetOverrideRequest, String> bad =
        new java.util.LinkedHashMap<>(
            Map.of(
                set(Scope.CONVERSATION, "c1", tokens("5m", 1)),
                "expected: USER or KEY",
                set(Scope.GLOBAL, "", tokens("5m", 1)),
                "expected: USER or KEY",
                set(Scope.SCOPE_UNSPECIFIED, "alice", tokens("5m", 1)),
                "expected: USER or KEY",
                set(Scope.USER, "", tokens("5m", 1)),
                "id: empty",
                set(Scope.USER, "a".repeat(257), tokens("5m", 1)),
                "at most 256",
                set(Scope.USER, "alice"),
                "expected: 1 to 16 limits",
                SetOverrideRequest.newBuilder()
                    .setScope(Scope.USER)
                    .setId("alice")
                    .addAllLimits(seventeen)
                    .build(),
                "limits: 17 (expected: 1 to 16",
                set(Scope.USER, "alice", tokens("5 minutes", 1)),
                "limits[0].window: '5 minutes'",
                set(Scope.USER, "alice", tokens("5m", 1), tokens("1d", 0)),
                "limits[1].tokens: 0 (expected: > 0)",
                set(Scope.USER, "alice", usd("month", -1)),
                "limits[0].usd: -1.0"));
    bad.put(
        set(Scope.USER, "alice", LimitValue.newBuilder().setWindow("5m").build()),
        "limits[0]: neither tokens nor usd");
    bad.put(set(Scope.USER, "alice", usd("month", Double.NaN)), "limits[0].usd: NaN");
    bad.put(
        set(Scope.USER, "alice", tokens("5m", 10), tokens("5m", 20)),
        "a second limit on window 5m in tokens");
    bad.put(set(Scope.USER, "al\u0007ice", tokens("5m", 10)), "control characters");
    bad.put(
        set(Scope.KEY, "wbe", tokens("5m", 10)),
        "id: 'wbe' is not a configured service key (expected: one of [ops, web, web-rotated,"
            + " batch])");
    for (var e : bad.entrySet()) {
      StatusRuntimeException ex =
          assertThrows(
              StatusRuntimeException.class,
              () -> replica.admin().setOverride(e.getKey()),
              e.getKey().toString());
      assertEquals(Status.Code.INVALID_ARGUMENT, ex.getStatus().getCode(), e.getValue());
      assertTrue(
          ex.getStatus().getDescription().contains(e.getValue()),
          ex.getStatus().getDescription() + " should contain " + e.getValue());
    }
    assertEquals(
        0,
        replica
            .admin()
            .listOverrides(ListOverridesRequest.getDefaultInstance())
            .getOverridesCount());
    StatusRuntimeException ex =
        assertThrows(
            StatusRuntimeException.class,
            () -> replica.admin().clearOverride(clear(Scope.GLOBAL, "")));
    assertEquals(Status.Code.INVALID_ARGUMENT, ex.getStatus().getCode());
    ex =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                replica
                    .admin()
                    .listOverrides(
                        ListOverridesRequest.newBuilder().setScope(Scope.CONVERSATION).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, ex.getStatus().getCode());
  }

  @Test
  void overrideCallsNeedAnAdminKey() {
    SetOverrideRequest r = set(Scope.USER, "alice", tokens("5m", 1));
    StatusRuntimeException ex =
        assertThrows(StatusRuntimeException.class, () -> replica.admin(null).setOverride(r));
    assertEquals(Status.Code.UNAUTHENTICATED, ex.getStatus().getCode());
    ex =
        assertThrows(
            StatusRuntimeException.class,
            () -> replica.admin(TestConfigs.SERVICE_KEY).setOverride(r));
    assertEquals(Status.Code.PERMISSION_DENIED, ex.getStatus().getCode());
    ex =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                replica
                    .admin(TestConfigs.SERVICE_KEY)
                    .listOverrides(ListOverridesRequest.getDefaultInstance()));
    assertEquals(Status.Code.PERMISSION_DENIED, ex.getStatus().getCode());
    assertEquals(0, replica.tollgate.overrides().list(null).size());
  }

  @Test
  void getUsageReportsTheOverridesWindowsAndTheOverride() {
    var admin = replica.admin();
    GetUsageRequest alice =
        GetUsageRequest.newBuilder().setScope(Scope.USER).setId("alice").setTier("default").build();
    GetUsageResponse before = admin.getUsage(alice);
    assertFalse(before.hasOverride());
    assertEquals(Map.of("5m", 20000.0, "month", 5.0), limits(before));

    Override o =
        admin
            .setOverride(set(Scope.USER, "alice", tokens("1d", 300), usd("month", 0.5)))
            .getOverride();
    GetUsageResponse after = admin.getUsage(alice);
    assertTrue(after.hasOverride());
    assertEquals(o, after.getOverride());
    assertEquals(Map.of("1d", 300.0, "month", 0.5), limits(after));
    // another user: the tier's
    GetUsageResponse bob = admin.getUsage(alice.toBuilder().setId("bob").build());
    assertFalse(bob.hasOverride());
    assertEquals(Map.of("5m", 20000.0, "month", 5.0), limits(bob));

    admin.clearOverride(clear(Scope.USER, "alice"));
    assertFalse(admin.getUsage(alice).hasOverride());
    assertEquals(Map.of("5m", 20000.0, "month", 5.0), limits(admin.getUsage(alice)));
  }

  private static Map<String, Double> limits(GetUsageResponse r) {
    return r.getWindowsList().stream()
        .collect(Collectors.toMap(WindowUsage::getWindow, WindowUsage::getLimit));
  }
}
