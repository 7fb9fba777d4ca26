package dev.tollgate.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Reads {@code server}: the listeners, their limits and TLS. */
final class ServerReader {
  static final SectionKeys SERVER =
      SectionKeys.of(
          "server",
          "grpc_port",
          "http_port",
          "max_inbound_message_bytes",
          "permit_keepalive_time",
          "shutdown_grace",
          "grpc_address",
          "http_address",
          "tls",
          "log_format");
  static final SectionKeys TLS =
      SectionKeys.of("server.tls", "cert_file", "key_file", "client_ca_file");

  /** The keys it reads, at every level. */
  static final List<SectionKeys> KEYS = List.of(SectionKeys.of("", "server"), SERVER, TLS);

  /** The slowest keepalive accepted: Envoy pings at most this far apart. */
  private static final Duration MAX_PERMIT_KEEPALIVE = Duration.ofSeconds(10);

  private ServerReader() {}

  static ServerConfig read(Section root) {
    ServerConfig d = ServerConfig.DEFAULTS;
    Section n = root.section("server", SERVER, false);
    if (n == null) {
      return d;
    }
    int grpc = (int) n.integer("grpc_port", 0, 65535, d.grpcPort());
    int http = (int) n.integer("http_port", -1, 65535, d.httpPort());
    int max =
        (int)
            n.integer("max_inbound_message_bytes", 1 << 20, 256 << 20, d.maxInboundMessageBytes());
    Duration keep = d.permitKeepAliveTime();
    Duration k = n.duration("permit_keepalive_time");
    if (k != null && (k.isZero() || k.compareTo(MAX_PERMIT_KEEPALIVE) > 0)) {
      n.error(
          "permit_keepalive_time",
          n.get("permit_keepalive_time").asText()
              + " (expected: > 0 and <= 10s, so Envoy's keepalive pings are accepted)");
    } else if (k != null) {
      keep = k;
    }
    Duration grace = n.duration("shutdown_grace");
    String grpcAddress = n.has("grpc_address") ? address(n, "grpc_address") : null;
    String httpAddress = n.has("http_address") ? address(n, "http_address") : null;
    ServerConfig.Tls tls = n.has("tls") ? tls(n.section("tls", TLS, false)) : d.tls();
    ServerConfig.LogFormat logFormat = n.oneOf("log_format", d.logFormat());
    return new ServerConfig(
        grpc,
        http,
        max,
        keep,
        grace == null ? d.shutdownGrace() : grace,
        grpcAddress == null ? d.grpcAddress() : grpcAddress,
        httpAddress == null ? d.httpAddress() : httpAddress,
        tls,
        logFormat);
  }

  /** An address to listen on: an IP literal or a host name. */
  private static String address(Section n, String key) {
    String a = n.string(key, null);
    if (a == null) {
      return null;
    }
    a = a.strip();
    if (!Addresses.isIpLiteral(a) && !Addresses.isHostName(a)) {
      n.error(
          key,
          "'"
              + a
              + "' (expected: an IP literal such as 127.0.0.1, 0.0.0.0 or ::1, or a host name)");
      return null;
    }
    return a;
  }

  /** {@code server.tls}: every file named must be readable now (its contents are never printed). */
  private static ServerConfig.Tls tls(Section n) {
    if (n == null) {
      return null;
    }
    Path cert = readableFile(n, "cert_file", true, "the server certificate chain, PEM");
    Path key = readableFile(n, "key_file", true, "the server private key, PEM (PKCS#8)");
    Path ca =
        readableFile(
            n,
            "client_ca_file",
            false,
            "the CA certificates client certificates must chain to, PEM");
    return cert == null || key == null ? null : new ServerConfig.Tls(cert, key, ca);
  }

  private static Path readableFile(Section n, String key, boolean required, String what) {
    if (!n.has(key)) {
      if (required) {
        n.error("no " + key + " (expected: " + what + ")");
      }
      return null;
    }
    String f = n.string(key, null);
    if (f == null) {
      return null;
    }
    Path p = n.reading().resolve(f);
    if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
      n.error(key, "cannot read " + f + " (expected: a readable file: " + what + ")");
      return null;
    }
    return p;
  }
}
