package dev.tollgate.hazelcast;

import static dev.tollgate.admin.AdminServiceOverridesTestSupport.set;
import static dev.tollgate.admin.AdminServiceOverridesTestSupport.tokens;
import static dev.tollgate.admin.AdminServiceOverridesTestSupport.usd;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.rpc.Code;
import dev.tollgate.InProcessReplica;
import dev.tollgate.admin.v1.ClearOverrideRequest;
import dev.tollgate.config.PersistenceConfig;
import dev.tollgate.config.Secret;
import dev.tollgate.persistence.Database;
import dev.tollgate.persistence.OverrideTable;
import dev.tollgate.persistence.TestPostgres;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.LimitOverride;
import dev.tollgate.quota.Money;
import dev.tollgate.quota.Scope;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.Window;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Overrides are written through to the database and all loaded when members start again: on a file
 * database (one member) and on PostgreSQL (three members).
 */
class OverridesSurviveRestartTest {
  private static final String LIMITS = "- { scope: user, window: 5m, tokens: 20000 }";

  private static double limitTokens(CheckResponse r) {
    assertEquals(Code.OK_VALUE, r.getStatus().getCode(), r.toString());
    return r.getDynamicMetadata().getFieldsMap().get("ratelimit_limit_tokens").getNumberValue();
  }

  @Test
  void overridesSurviveARestartOnAFileDatabase() throws Exception {
    Path dir = Files.createTempDirectory("tollgate-overrides-db");
    PersistenceConfig cfg = PersistenceConfig.file(dir);
    try (HazelcastTestCluster cluster =
        new HazelcastTestCluster(
            1, 0, Duration.ofSeconds(5), i -> PersistentMaps.open(cfg, Clock.systemUTC()))) {
      try (InProcessReplica r =
          new InProcessReplica(
              InProcessReplica.config(LIMITS, "memory"),
              new HazelcastQuotaStore(cluster.members.get(0), false))) {
        r.admin().setOverride(set(dev.tollgate.admin.v1.Scope.USER, "alice", tokens("1h", 700)));
        r.admin()
            .setOverride(
                set(
                    dev.tollgate.admin.v1.Scope.KEY,
                    "web",
                    tokens("1d", 90_000),
                    usd("month", 12.5)));
        r.admin().setOverride(set(dev.tollgate.admin.v1.Scope.USER, "bob", tokens("1h", 1)));
        r.admin()
            .clearOverride(
                ClearOverrideRequest.newBuilder()
                    .setScope(dev.tollgate.admin.v1.Scope.USER)
                    .setId("bob")
                    .build());
      }

      cluster.restartAll();

      HazelcastOverrides o = new HazelcastOverrides(cluster.members.get(0));
      assertEquals(2, o.localCount());
      assertEquals(
          List.of(new Limit(Window.parse("1h"), Unit.TOKENS, 700)),
          o.get(Scope.USER, "alice").orElseThrow().limits());
      assertEquals(
          List.of(
              new Limit(Window.parse("1d"), Unit.TOKENS, 90_000),
              new Limit(Window.month(), Unit.NANO_USD, Money.toNanoUsd(new BigDecimal("12.5")))),
          o.get(Scope.KEY, "web").orElseThrow().limits());
      assertFalse(o.get(Scope.USER, "bob").isPresent());
      o.close();
      // and the next Check after the restart follows it
      try (InProcessReplica r =
          new InProcessReplica(
              InProcessReplica.config(LIMITS, "memory"),
              new HazelcastQuotaStore(cluster.members.get(0), false))) {
        assertEquals(700, limitTokens(r.check("alice", 100)));
        assertEquals(20000, limitTokens(r.check("bob", 100)));
      }
    }
    try (Database db = Database.open(cfg)) {
      Map<String, LimitOverride> rows = new OverrideTable(db).loadAll();
      assertEquals(java.util.Set.of("user:alice", "key:web"), rows.keySet());
    }
  }

  @Test
  void overridesSurviveARestartOfEveryMemberOnPostgres() throws Exception {
    try (TestPostgres postgres = TestPostgres.start()) {
      PersistenceConfig cfg =
          new PersistenceConfig(
              PersistenceConfig.Type.JDBC,
              null,
              postgres.jdbcUrl(),
              postgres.username(),
              new Secret(postgres.password(), "test"),
              Duration.ofSeconds(1),
              PersistenceConfig.DEFAULT_RETENTION_DAYS,
              2);
      try (HazelcastTestCluster cluster =
          new HazelcastTestCluster(
              3, 1, Duration.ofSeconds(5), i -> PersistentMaps.open(cfg, Clock.systemUTC()))) {
        HazelcastOverrides first = new HazelcastOverrides(cluster.members.get(1));
        for (int i = 0; i < 40; i++) {
          first.set(
              new LimitOverride(
                  Scope.USER,
                  "u" + i,
                  List.of(new Limit(Window.parse("1d"), Unit.TOKENS, 1000 + i)),
                  System.currentTimeMillis()));
        }
        assertTrue(first.clear(Scope.USER, "u7"));
        first.close();

        cluster.restartAll();

        for (int m = 0; m < 3; m++) {
          try (HazelcastOverrides o = new HazelcastOverrides(cluster.members.get(m))) {
            assertEquals(39, o.localCount(), "member " + m);
            assertEquals(
                1039, o.get(Scope.USER, "u39").orElseThrow().limits().get(0).max(), "member " + m);
            assertFalse(o.get(Scope.USER, "u7").isPresent());
          }
        }
      }
    }
  }
}
