package dev.tollgate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.rpc.Code;
import dev.tollgate.config.TollgateConfig;
import dev.tollgate.quota.InMemoryQuotaStore;
import dev.tollgate.testsupport.EnvoyChecks;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code server.tls}: a real Netty listener with certificates made for the test. A client that
 * presents a certificate from the client CA gets answers; one without a certificate, one with a
 * certificate from another CA, and a plaintext client are refused.
 */
class GrpcTlsTest {
  @TempDir static Path dir;
  private Tollgate tollgate;
  private final List<ManagedChannel> channels = new ArrayList<>();

  /** A key pair and its certificate, written as PEM files. */
  record Issued(KeyPair keys, X509Certificate cert, Path certFile, Path keyFile) {}

  static KeyPair keyPair() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  /** A certificate for {@code cn}, signed by {@code issuer} (null: self-signed CA). */
  static Issued issue(String name, String cn, Issued issuer, String dnsName) throws Exception {
    KeyPair keys = keyPair();
    Instant now = Instant.now();
    X500Name subject = new X500Name("CN=" + cn);
    X500Name issuerName =
        issuer == null ? subject : new X500Name(issuer.cert().getSubjectX500Principal().getName());
    JcaX509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            issuerName,
            BigInteger.valueOf(now.toEpochMilli()),
            Date.from(now.minusSeconds(60)),
            Date.from(now.plusSeconds(3600)),
            subject,
            keys.getPublic());
    if (issuer == null) {
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      b.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    } else {
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
    }
    if (dnsName != null) {
      b.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(new GeneralName(GeneralName.dNSName, dnsName)));
    }
    PrivateKey signer = issuer == null ? keys.getPrivate() : issuer.keys().getPrivate();
    X509Certificate cert =
        new JcaX509CertificateConverter()
            .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
    Path certFile = dir.resolve(name + ".crt");
    Path keyFile = dir.resolve(name + ".key");
    Files.writeString(certFile, pem("CERTIFICATE", cert.getEncoded()), StandardCharsets.US_ASCII);
    Files.writeString(
        keyFile,
        pem("PRIVATE KEY", keys.getPrivate().getEncoded()),
        StandardCharsets.US_ASCII); // PKCS#8
    return new Issued(keys, cert, certFile, keyFile);
  }

  static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }

  private Issued ca;
  private Issued client;
  private Issued stranger;

  @BeforeEach
  void start() throws Exception {
    ca = issue("ca", "Tollgate test CA", null, null);
    Issued server = issue("server", "tollgate", ca, "tollgate");
    client = issue("envoy", "envoy", ca, null);
    Issued otherCa = issue("other-ca", "Another CA", null, null);
    stranger = issue("stranger", "envoy", otherCa, null);
    String yaml =
        TestConfigs.yaml(TestConfigs.DEFAULT_LIMITS, "memory", "deny")
            .replace(
                "server: { grpc_port: 0, http_port: 0 }",
                "server: { grpc_port: 0, http_port: 0, tls: { cert_file: \"%s\", key_file: \"%s\", client_ca_file: \"%s\" } }"
                    .formatted(server.certFile(), server.keyFile(), ca.certFile()));
    TollgateConfig config = TestConfigs.parse(yaml);
    assertTrue(config.server().tls().mutual());
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

  @AfterEach
  void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    if (tollgate != null) {
      tollgate.close();
    }
  }

  private ManagedChannel tls(Issued clientCert) throws IOException {
    SslContextBuilder ssl = GrpcSslContexts.forClient().trustManager(ca.certFile().toFile());
    if (clientCert != null) {
      ssl.keyManager(clientCert.certFile().toFile(), clientCert.keyFile().toFile());
    }
    ManagedChannel c =
        NettyChannelBuilder.forAddress("127.0.0.1", tollgate.grpcPort())
            .overrideAuthority(
                "tollgate") // the name Envoy checks (sni and SAN "tollgate" in envoy/envoy.yaml)
            .sslContext(ssl.build())
            .build();
    channels.add(c);
    return c;
  }

  private static HealthCheckResponse health(ManagedChannel c) {
    return HealthGrpc.newBlockingStub(c)
        .withDeadlineAfter(5, TimeUnit.SECONDS)
        .check(HealthCheckRequest.getDefaultInstance());
  }

  @Test
  void aClientWithACertificateFromTheClientCaGetsAnswers() throws Exception {
    ManagedChannel c = tls(client);
    assertEquals(HealthCheckResponse.ServingStatus.SERVING, health(c).getStatus());
    CheckResponse r =
        AuthorizationGrpc.newBlockingStub(c)
            .withDeadlineAfter(5, TimeUnit.SECONDS)
            .check(
                EnvoyChecks.post("/v1/chat/completions")
                    .bearer(TestConfigs.SERVICE_KEY)
                    .header("x-on-behalf-of", "alice")
                    .json(
                        "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
                    .build());
    assertEquals(Code.OK_VALUE, r.getStatus().getCode());
  }

  @Test
  void aClientWithoutACertificateIsRefused() throws Exception {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> health(tls(null)));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
  }

  @Test
  void aClientWithACertificateFromAnotherCaIsRefused() throws Exception {
    StatusRuntimeException e =
        assertThrows(StatusRuntimeException.class, () -> health(tls(stranger)));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
  }

  @Test
  void aPlaintextClientIsRefused() {
    ManagedChannel c =
        NettyChannelBuilder.forAddress("127.0.0.1", tollgate.grpcPort()).usePlaintext().build();
    channels.add(c);
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> health(c));
    assertFalse(e.getStatus().isOk());
  }

  @Test
  void aKeyFileThatIsNotAKeyIsNamedNotShown() throws Exception {
    Path notAKey = dir.resolve("not-a-key.pem");
    Files.writeString(notAKey, "sk-upstream-never-printed\n");
    var tls = new dev.tollgate.config.ServerConfig.Tls(ca.certFile(), notAKey, null);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Tollgate.serverTls(tls));
    assertTrue(e.getMessage().contains("key_file " + notAKey), e.getMessage());
    assertFalse(e.getMessage().contains("sk-upstream-never-printed"), e.getMessage());
  }
}
