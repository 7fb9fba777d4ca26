package dev.tollgate.cli;

import dev.tollgate.admin.v1.QuotaAdminGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.stub.MetadataUtils;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** One channel to a Tollgate's admin API, with the admin key on every call. */
final class AdminClient implements AutoCloseable {
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final String address;
  private final ManagedChannel channel;
  private final QuotaAdminGrpc.QuotaAdminBlockingStub stub;
  private final AdminOptions options;

  private AdminClient(AdminOptions o, String key) {
    this.options = o;
    this.address = o.address();
    HostPort hp = HostPort.parse(address);
    NettyChannelBuilder b = NettyChannelBuilder.forAddress(hp.host(), hp.port());
    if (o.useTls()) {
      try {
        SslContextBuilder ssl = GrpcSslContexts.forClient();
        if (o.caFile != null) {
          ssl.trustManager(o.caFile.toFile());
        }
        if (o.certFile != null || o.tlsKeyFile != null) {
          if (o.certFile == null || o.tlsKeyFile == null) {
            throw new CliException(
                Exits.USAGE, "--cert-file and --key-file-tls go together (a client certificate)");
          }
          ssl.keyManager(o.certFile.toFile(), o.tlsKeyFile.toFile());
        }
        b.sslContext(ssl.build());
      } catch (CliException e) {
        throw e;
      } catch (Exception e) {
        // the message names the file, never its content
        throw new CliException(
            Exits.USAGE,
            "TLS files (--ca-file, --cert-file, --key-file-tls) unusable: "
                + Exits.oneLine(String.valueOf(e.getMessage())));
      }
      if (o.authority != null) {
        b.overrideAuthority(o.authority);
      }
    } else {
      if (o.authority != null) {
        b.overrideAuthority(o.authority);
      }
      b.usePlaintext();
    }
    this.channel = b.build();
    Metadata headers = new Metadata();
    headers.put(AUTHORIZATION, "Bearer " + key);
    this.stub =
        QuotaAdminGrpc.newBlockingStub(channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  /** A client for the options' address and key; fails with a {@link CliException}. */
  static AdminClient open(AdminOptions o) {
    String key = o.adminKey();
    return new AdminClient(o, key);
  }

  /** Calls {@code method} with the options' deadline; a failure becomes a {@link CliException}. */
  <T> T call(String method, Function<QuotaAdminGrpc.QuotaAdminBlockingStub, T> rpc) {
    try {
      return rpc.apply(stub.withDeadlineAfter(options.timeout.toMillis(), TimeUnit.MILLISECONDS));
    } catch (StatusRuntimeException e) {
      throw Exits.of(e, address, method);
    }
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** {@code host:port}, {@code [v6]:port}. */
  record HostPort(String host, int port) {
    static HostPort parse(String s) {
      String host;
      String port;
      if (s.startsWith("[")) {
        int end = s.indexOf("]:");
        if (end < 0) {
          throw bad(s);
        }
        host = s.substring(1, end);
        port = s.substring(end + 2);
      } else {
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || s.indexOf(':') != colon) {
          throw bad(s);
        }
        host = s.substring(0, colon);
        port = s.substring(colon + 1);
      }
      try {
        int p = Integer.parseInt(port);
        if (p < 1 || p > 65535 || host.isBlank()) {
          throw bad(s);
        }
        return new HostPort(host, p);
      } catch (NumberFormatException e) {
        throw bad(s);
      }
    }

    private static CliException bad(String s) {
      return new CliException(
          Exits.USAGE,
          "--address: '" + s + "' (expected HOST:PORT, e.g. " + AdminOptions.DEFAULT_ADDRESS + ")");
    }
  }
}
