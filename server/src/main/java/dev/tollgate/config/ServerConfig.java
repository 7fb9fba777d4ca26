package dev.tollgate.config;

import java.time.Duration;

/**
 * The listening side.
 *
 * @param grpcPort ext_authz, ext_proc, health, reflection, admin (0 = any free port)
 * @param httpPort metrics and HTTP readiness (0 = any free port, -1 = off)
 * @param maxInboundMessageBytes largest gRPC message accepted (fits the largest body Envoy sends)
 * @param permitKeepAliveTime the fastest client keepalive ping accepted
 * @param shutdownGrace how long in-flight calls get on shutdown
 * @param grpcAddress the address the gRPC listener binds (an IP literal or host name; {@code 0.0.0.0}: every interface)
 * @param httpAddress the address the HTTP listener binds (the same forms)
 */
public record ServerConfig(
    int grpcPort,
    int httpPort,
    int maxInboundMessageBytes,
    Duration permitKeepAliveTime,
    Duration shutdownGrace,
    String grpcAddress,
    String httpAddress) {
  /** Every interface: Envoy usually runs in another pod or on another host. */
  public static final String ANY_ADDRESS = "0.0.0.0";

  /** The same settings listening on every interface. */
  public ServerConfig(int grpcPort, int httpPort, int maxInboundMessageBytes, Duration permitKeepAliveTime,
      Duration shutdownGrace) {
    this(grpcPort, httpPort, maxInboundMessageBytes, permitKeepAliveTime, shutdownGrace, ANY_ADDRESS, ANY_ADDRESS);
  }

  public ServerConfig {
    if (grpcAddress == null || grpcAddress.isBlank()) {
      throw new IllegalArgumentException("grpcAddress: '" + grpcAddress + "' (expected: an IP literal or host name)");
    }
    if (httpAddress == null || httpAddress.isBlank()) {
      throw new IllegalArgumentException("httpAddress: '" + httpAddress + "' (expected: an IP literal or host name)");
    }
  }

  /** The same settings on other ports (the addresses stay). */
  public ServerConfig withPorts(int grpc, int http) {
    return new ServerConfig(grpc, http, maxInboundMessageBytes, permitKeepAliveTime, shutdownGrace, grpcAddress, httpAddress);
  }
}
