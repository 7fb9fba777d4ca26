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
 */
public record ServerConfig(
    int grpcPort,
    int httpPort,
    int maxInboundMessageBytes,
    Duration permitKeepAliveTime,
    Duration shutdownGrace) {}
