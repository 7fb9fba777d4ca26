package dev.tollgate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.config.TollgateConfig;
import dev.tollgate.quota.InMemoryQuotaStore;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin verbs against a gRPC port with {@code server.tls} that requires client certificates:
 * {@code --ca-file}, {@code --cert-file}, {@code --key-file-tls}, {@code --authority}.
 */
class CliTlsTest {
  static final String ADMIN_KEY = "sk-test-admin-tls";

  @TempDir static Path dir;
  static Tollgate tollgate;
  static GrpcTlsTest.Issued ca;
  static GrpcTlsTest.Issued client;

  @BeforeAll
  static void start() throws Exception {
    GrpcTlsTest.dir = dir; // where GrpcTlsTest.issue writes the PEM files
    ca = GrpcTlsTest.issue("ca", "Tollgate test CA", null, null);
    GrpcTlsTest.Issued server = GrpcTlsTest.issue("server", "tollgate", ca, "tollgate");
    client = GrpcTlsTest.issue("admin", "admin", ca, null);
    String yaml =
        TestConfigs.yaml(TestConfigs.DEFAULT_LIMITS, "memory", "deny")
            .replace(
                "  - { name: batch,",
                "  - { name: admin, sha256: \""
                    + TestConfigs.sha256(ADMIN_KEY)
                    + "\", tier: default, role: admin }\n  - { name: batch,")
            .replace(
                "server: { grpc_port: 0, http_port: 0 }",
                "server: { grpc_port: 0, http_port: 0, tls: { cert_file: \"%s\", key_file: \"%s\", client_ca_file: \"%s\" } }"
                    .formatted(server.certFile(), server.keyFile(), ca.certFile()));
    TollgateConfig config = TestConfigs.parse(yaml);
    tollgate =
        Tollgate.start(
            config,
            Tollgate.netty(
                config.server(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)),
            null,
            false,
            Clock.systemUTC(),
            new InMemoryQuotaStore());
  }

  @AfterAll
  static void stop() {
    if (tollgate != null) {
      tollgate.close();
    }
  }

  record Run(int code, String out, String err) {}

  static Run run(String... extra) {
    List<String> args = new ArrayList<>(List.of("usage", "alice"));
    args.addAll(List.of("--address", "127.0.0.1:" + tollgate.grpcPort(), "--timeout", "3s"));
    args.addAll(List.of(extra));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        Main.run(
            args.toArray(String[]::new),
            Map.of("TOLLGATE_ADMIN_KEY", ADMIN_KEY),
            new ByteArrayInputStream(new byte[0]),
            new PrintWriter(out, true),
            new PrintWriter(err, true));
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void aClientCertificateFromTheClientCaGetsAnswers() {
    Run r =
        run(
            "--ca-file", ca.certFile().toString(),
            "--cert-file", client.certFile().toString(),
            "--key-file-tls", client.keyFile().toString(),
            "--authority", "tollgate");
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().startsWith("user:alice (tier default)"), r.toString());
  }

  @Test
  void withoutAClientCertificateTheServerIsUnreachable() {
    Run r = run("--ca-file", ca.certFile().toString(), "--authority", "tollgate");
    assertEquals(3, r.code(), r.toString());
    assertEquals(1, r.err().lines().count(), r.toString());
  }

  @Test
  void plaintextAgainstTlsFails() {
    Run r = run();
    assertTrue(r.code() == 3 || r.code() == 1, r.toString());
    assertEquals(1, r.err().lines().count(), r.toString());
  }

  @Test
  void aCertificateWithoutItsKeyIsABadArgument() {
    Run r = run("--ca-file", ca.certFile().toString(), "--cert-file", client.certFile().toString());
    assertEquals(2, r.code(), r.toString());
    Run notPem = run("--ca-file", dir.resolve("missing.pem").toString());
    assertEquals(2, notPem.code(), notPem.toString());
  }
}
