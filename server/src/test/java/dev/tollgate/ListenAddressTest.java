package dev.tollgate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.config.ServerConfig;
import dev.tollgate.config.TollgateConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@code server.grpc_address} and {@code server.http_address} are the addresses the listeners bind.
 */
class ListenAddressTest {
  private static final String PORTS = "server: { grpc_port: 0, http_port: 0 }";

  @Test
  void listenersBoundToLoopbackAreNotReachableElsewhere() throws Exception {
    String yaml =
        TestConfigs.yaml(TestConfigs.DEFAULT_LIMITS, "memory", "deny")
            .replace(
                PORTS,
                "server: { grpc_port: 0, http_port: 0, grpc_address: 127.0.0.1, http_address: 127.0.0.1 }");
    TollgateConfig config = TestConfigs.parse(yaml);
    assertEquals("127.0.0.1", config.server().grpcAddress());
    try (Tollgate t = Tollgate.start(config)) {
      List<InetSocketAddress> grpc = t.grpcAddresses();
      assertEquals(1, grpc.size(), grpc.toString());
      assertTrue(grpc.get(0).getAddress().isLoopbackAddress(), grpc.toString());
      assertTrue(t.httpAddress().getAddress().isLoopbackAddress(), t.httpAddress().toString());
      InetAddress loopback = InetAddress.getByName("127.0.0.1");
      assertTrue(LocalAddresses.accepts(loopback, t.grpcPort()));
      assertTrue(LocalAddresses.accepts(loopback, t.httpPort()));
      Optional<InetAddress> other = LocalAddresses.nonLoopback();
      if (other.isPresent()) {
        assertFalse(
            LocalAddresses.accepts(other.get(), t.grpcPort()), "gRPC reachable on " + other.get());
        assertFalse(
            LocalAddresses.accepts(other.get(), t.httpPort()), "HTTP reachable on " + other.get());
      }
    }
  }

  @Test
  void theDefaultIsEveryInterface() {
    TollgateConfig config =
        TestConfigs.parse(TestConfigs.yaml(TestConfigs.DEFAULT_LIMITS, "memory", "deny"));
    assertEquals(ServerConfig.ANY_ADDRESS, config.server().grpcAddress());
    assertEquals(ServerConfig.ANY_ADDRESS, config.server().httpAddress());
  }
}
