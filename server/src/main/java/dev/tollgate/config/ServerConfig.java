package dev.tollgate.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The listening side.
 *
 * @param grpcPort ext_authz, ext_proc, health, reflection, admin (0 = any free port)
 * @param httpPort metrics and HTTP readiness (0 = any free port, -1 = off)
 * @param maxInboundMessageBytes largest gRPC message accepted (fits the largest body Envoy sends)
 * @param permitKeepAliveTime the fastest client keepalive ping accepted
 * @param shutdownGrace how long in-flight calls get on shutdown
 * @param grpcAddress the address the gRPC listener binds (an IP literal or host name; {@code
 *     0.0.0.0}: every interface)
 * @param httpAddress the address the HTTP listener binds (the same forms)
 * @param tls TLS on the gRPC listener, or null for plaintext
 * @param logFormat how log lines are written (the one server setting a reload changes)
 */
public record ServerConfig(
    int grpcPort,
    int httpPort,
    int maxInboundMessageBytes,
    Duration permitKeepAliveTime,
    Duration shutdownGrace,
    String grpcAddress,
    String httpAddress,
    Tls tls,
    LogFormat logFormat) {
  /** How log lines are written. */
  public enum LogFormat {
    /** One human-readable line per event (the default). */
    TEXT,
    /** One JSON object per line, one field per value, for log pipelines. */
    JSON
  }

  /** Every interface: Envoy usually runs in another pod or on another host. */
  public static final String ANY_ADDRESS = "0.0.0.0";

  /** Default inbound gRPC message limit: Envoy's 8 MiB body plus headroom. */
  public static final int DEFAULT_MAX_INBOUND_MESSAGE_BYTES = 8 * 1024 * 1024 + 256 * 1024;

  /**
   * Defaults: gRPC on 50051 and HTTP on 8081, every interface, 8 MiB + 256 KiB messages, keepalive
   * pings every 10 s accepted, 10 s to drain, plaintext.
   */
  public static final ServerConfig DEFAULTS =
      new ServerConfig(
          50051,
          8081,
          DEFAULT_MAX_INBOUND_MESSAGE_BYTES,
          Duration.ofSeconds(10),
          Duration.ofSeconds(10));

  /** The same settings listening on every interface. */
  public ServerConfig(
      int grpcPort,
      int httpPort,
      int maxInboundMessageBytes,
      Duration permitKeepAliveTime,
      Duration shutdownGrace) {
    this(
        grpcPort,
        httpPort,
        maxInboundMessageBytes,
        permitKeepAliveTime,
        shutdownGrace,
        ANY_ADDRESS,
        ANY_ADDRESS,
        null);
  }

  /** The same settings with text logs. */
  public ServerConfig(
      int grpcPort,
      int httpPort,
      int maxInboundMessageBytes,
      Duration permitKeepAliveTime,
      Duration shutdownGrace,
      String grpcAddress,
      String httpAddress,
      Tls tls) {
    this(
        grpcPort,
        httpPort,
        maxInboundMessageBytes,
        permitKeepAliveTime,
        shutdownGrace,
        grpcAddress,
        httpAddress,
        tls,
        LogFormat.TEXT);
  }

  /**
   * TLS on the gRPC listener: a Check answer can carry the upstream key, so off the loopback the
   * connection from Envoy is encrypted and, with a client CA, mutually authenticated.
   *
   * @param certFile the server's certificate chain (PEM)
   * @param keyFile the server's private key (PEM, PKCS#8)
   * @param clientCaFile the CA certificates (PEM) a client certificate must chain to; when set, a
   *     client without a valid certificate is refused; null: any client may connect
   */
  public record Tls(Path certFile, Path keyFile, Path clientCaFile) {
    public Tls {
      if (certFile == null) {
        throw new IllegalArgumentException(
            "certFile: null (expected: the server certificate's PEM file)");
      }
      if (keyFile == null) {
        throw new IllegalArgumentException(
            "keyFile: null (expected: the server private key's PEM file)");
      }
    }

    /** Whether a client certificate is required. */
    public boolean mutual() {
      return clientCaFile != null;
    }
  }

  public ServerConfig {
    if (grpcAddress == null || grpcAddress.isBlank()) {
      throw new IllegalArgumentException(
          "grpcAddress: '" + grpcAddress + "' (expected: an IP literal or host name)");
    }
    if (httpAddress == null || httpAddress.isBlank()) {
      throw new IllegalArgumentException(
          "httpAddress: '" + httpAddress + "' (expected: an IP literal or host name)");
    }
    java.util.Objects.requireNonNull(logFormat, "logFormat");
  }

  /** The same settings on other ports (the addresses stay). */
  public ServerConfig withPorts(int grpc, int http) {
    return new ServerConfig(
        grpc,
        http,
        maxInboundMessageBytes,
        permitKeepAliveTime,
        shutdownGrace,
        grpcAddress,
        httpAddress,
        tls,
        logFormat);
  }

  /** The same settings with another log format. */
  public ServerConfig withLogFormat(LogFormat format) {
    return new ServerConfig(
        grpcPort,
        httpPort,
        maxInboundMessageBytes,
        permitKeepAliveTime,
        shutdownGrace,
        grpcAddress,
        httpAddress,
        tls,
        format);
  }
}
