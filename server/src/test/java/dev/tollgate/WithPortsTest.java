package dev.tollgate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tollgate.config.TollgateConfig;
import org.junit.jupiter.api.Test;

/** {@code serve --grpc-port/--http-port} change the ports and keep every other section. */
class WithPortsTest {
  @Test
  void theFlagsChangeThePortsOnly() {
    TollgateConfig c =
        TestConfigs.parse(
            TestConfigs.yaml(TestConfigs.DEFAULT_LIMITS, "memory", "deny")
                + """
                alerts:
                  webhooks: [ { name: ops, url: "https://hooks.example/ops" } ]
                  rules: [ { event: reload_failed } ]
                """);
    TollgateConfig moved = Main.withPorts(c, 7001, 7002);
    assertEquals(7001, moved.server().grpcPort());
    assertEquals(7002, moved.server().httpPort());
    assertEquals(c.alerts(), moved.alerts());
    assertEquals(c.store(), moved.store());
    assertEquals(c.accounting(), moved.accounting());
    assertEquals(c.request(), moved.request());
    assertEquals(c.tiers(), moved.tiers());
  }
}
