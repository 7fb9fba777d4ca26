package dev.tollgate.envoy.authz;

import static dev.tollgate.admin.AdminServiceOverridesTestSupport.set;
import static dev.tollgate.admin.AdminServiceOverridesTestSupport.tokens;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.rpc.Code;
import dev.tollgate.InProcessReplica;
import dev.tollgate.TestConfigs;
import dev.tollgate.admin.v1.ClearOverrideRequest;
import dev.tollgate.admin.v1.Scope;
import dev.tollgate.quota.InMemoryQuotaStore;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Overrides through the real admission path: the next Check after SetOverride follows the
 * override's limits (its x-ratelimit headers and its 429s), other users and scopes keep the tier's.
 */
class OverrideChecksTest {
  private InProcessReplica replica;

  @BeforeEach
  void start() throws Exception {
    replica =
        new InProcessReplica(
            InProcessReplica.config(
                "- { scope: user, window: 5m, tokens: 20000 }\n"
                    + "- { scope: key, window: 1h, tokens: 1000000 }",
                "memory"),
            new InMemoryQuotaStore());
  }

  @AfterEach
  void stop() {
    replica.close();
  }

  static double limitTokens(CheckResponse r) {
    return r.getDynamicMetadata().getFieldsMap().get("ratelimit_limit_tokens").getNumberValue();
  }

  static Map<String, String> deniedHeaders(CheckResponse r) {
    Map<String, String> h = new HashMap<>();
    for (HeaderValueOption o : r.getDeniedResponse().getHeadersList()) {
      h.put(o.getHeader().getKey(), o.getHeader().getValue());
    }
    return h;
  }

  @Test
  void aUserOverrideReplacesTheTiersUserLimitsOnTheNextCheck() {
    CheckResponse r = replica.check("alice", 100);
    assertEquals(Code.OK_VALUE, r.getStatus().getCode());
    assertEquals(20000, limitTokens(r));

    replica.admin().setOverride(set(Scope.USER, "alice", tokens("1d", 200)));
    r = replica.check("alice", 100);
    assertEquals(Code.OK_VALUE, r.getStatus().getCode());
    // the tightest enforced token window is now the override's
    assertEquals(200, limitTokens(r));
    // a window new to the key counts from the override on: ~110 of 200, the next is refused
    r = replica.check("alice", 100);
    assertEquals(Code.RESOURCE_EXHAUSTED_VALUE, r.getStatus().getCode(), r.toString());
    assertEquals(429, r.getDeniedResponse().getStatus().getCodeValue());
    assertEquals("200", deniedHeaders(r).get("x-ratelimit-limit-tokens"));

    // another user keeps the tier's
    r = replica.check("bob", 100);
    assertEquals(Code.OK_VALUE, r.getStatus().getCode());
    assertEquals(20000, limitTokens(r));

    // cleared: the tier's limits again (the 1d window is no longer limited)
    replica
        .admin()
        .clearOverride(
            ClearOverrideRequest.newBuilder().setScope(Scope.USER).setId("alice").build());
    r = replica.check("alice", 100);
    assertEquals(Code.OK_VALUE, r.getStatus().getCode());
    assertEquals(20000, limitTokens(r));
  }

  @Test
  void anOverrideCanRaiseALimit() {
    replica.admin().setOverride(set(Scope.USER, "carol", tokens("5m", 50_000)));
    CheckResponse r = replica.check("carol", 30_000);
    assertEquals(Code.OK_VALUE, r.getStatus().getCode());
    assertEquals(50_000, limitTokens(r));
    // without it, 30 000 tokens are over the tier's 20 000
    r = replica.check("dave", 30_000);
    assertEquals(Code.RESOURCE_EXHAUSTED_VALUE, r.getStatus().getCode());
    assertEquals("20000", deniedHeaders(r).get("x-ratelimit-limit-tokens"));
  }

  @Test
  void aKeyOverrideReplacesTheTiersKeyLimitsForThatKeyOnly() {
    replica.admin().setOverride(set(Scope.KEY, "web", tokens("1h", 150)));
    CheckResponse r = replica.check("erin", 100);
    assertEquals(Code.OK_VALUE, r.getStatus().getCode());
    assertEquals(150, limitTokens(r));
    r = replica.check("frank", 100);
    assertEquals(Code.RESOURCE_EXHAUSTED_VALUE, r.getStatus().getCode());
    assertEquals("150", deniedHeaders(r).get("x-ratelimit-limit-tokens"));
    // the rotated key is another key: the tier's key limit
    r = replica.check(TestConfigs.SERVICE_KEY_2, "frank", 100);
    assertEquals(Code.OK_VALUE, r.getStatus().getCode(), r.toString());
    assertEquals(20000, limitTokens(r));
  }
}
