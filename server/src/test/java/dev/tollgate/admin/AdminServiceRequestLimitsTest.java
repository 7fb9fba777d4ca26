package dev.tollgate.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tollgate.InProcessReplica;
import dev.tollgate.admin.v1.GetUsageRequest;
import dev.tollgate.admin.v1.GetUsageResponse;
import dev.tollgate.admin.v1.Scope;
import dev.tollgate.admin.v1.WindowUsage;
import dev.tollgate.quota.InMemoryQuotaStore;
import java.util.List;
import org.junit.jupiter.api.Test;

/** GetUsage shows request limits and shadow limits with what they counted. */
class AdminServiceRequestLimitsTest {

  @Test
  void getUsageShowsRequestAndShadowLimits() throws Exception {
    try (InProcessReplica replica =
        new InProcessReplica(
            InProcessReplica.config(
                "- { scope: user, window: 1m, requests: 60 }\n"
                    + "- { scope: user, window: 1m, requests: 2, mode: shadow }\n"
                    + "- { scope: user, window: 5m, tokens: 20000 }",
                "memory"),
            new InMemoryQuotaStore())) {
      for (int i = 0; i < 3; i++) {
        assertEquals(0, replica.check("alice", 10).getStatus().getCode());
      }
      GetUsageResponse r =
          replica
              .admin()
              .getUsage(
                  GetUsageRequest.newBuilder()
                      .setScope(Scope.USER)
                      .setId("alice")
                      .setTier("default")
                      .build());
      List<WindowUsage> w = r.getWindowsList();
      assertEquals(3, w.size());
      assertEquals("requests", w.get(0).getUnit());
      assertEquals("enforce", w.get(0).getMode());
      assertEquals(60.0, w.get(0).getLimit());
      assertEquals(3.0, w.get(0).getUsed());
      assertEquals(57.0, w.get(0).getRemaining());
      assertEquals("requests", w.get(1).getUnit());
      assertEquals("shadow", w.get(1).getMode());
      assertEquals(3.0, w.get(1).getUsed(), "over the shadow limit, and nothing refused");
      assertEquals("tokens", w.get(2).getUnit());
    }
  }
}
