package dev.tollgate.envoy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.tollgate.config.ConfigLoader;
import dev.tollgate.config.TollgateConfig;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every bootstrap in {@code envoy/} parses into Envoy's {@code Bootstrap} with a type registry of
 * exactly the {@code @type}s used (unknown fields or types fail), and holds what a parse cannot
 * check: filter order, clusters that exist, sane durations, a body limit Tollgate accepts.
 */
class EnvoyBootstrapTest {
  private static final JsonFormat.TypeRegistry TYPES = JsonFormat.TypeRegistry.newBuilder()
      .add(HttpConnectionManager.getDescriptor())
      .add(ExtAuthz.getDescriptor())
      .add(ExternalProcessor.getDescriptor())
      .add(Router.getDescriptor())
      .add(UpstreamTlsContext.getDescriptor())
      .add(HttpProtocolOptions.getDescriptor())
      .build();

  static Path repoRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isDirectory(p.resolve("envoy"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new AssertionError("no envoy/ directory above " + Path.of("").toAbsolutePath());
    }
    return p;
  }

  static Stream<Path> bootstraps() throws IOException {
    try (Stream<Path> s = Files.list(repoRoot().resolve("envoy"))) {
      List<Path> files = s.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
      assertFalse(files.isEmpty());
      return files.stream();
    }
  }

  static Bootstrap parse(Path file) throws IOException {
    JsonNode tree = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
    Bootstrap.Builder b = Bootstrap.newBuilder();
    try {
      JsonFormat.parser().usingTypeRegistry(TYPES).merge(new ObjectMapper().writeValueAsString(tree), b);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(file.getFileName() + ": " + e.getMessage(), e);
    }
    return b.build();
  }

  private static <T extends com.google.protobuf.Message> T unpack(Any any, Class<T> type) throws Exception {
    assertTrue(any.is(type), "expected " + type.getSimpleName() + " but got " + any.getTypeUrl());
    return any.unpack(type);
  }

  private static long millis(Duration d) {
    return d.getSeconds() * 1000 + d.getNanos() / 1_000_000;
  }

  /**
   * Every body is checked whole or refused: the listener buffer holds {@code max_request_bytes}
   * (else ext_proc's BUFFERED body is a 413 after the Check allowed it, or the partial Check
   * never comes), and a cut body meets Tollgate's partial-body policy, which refuses by default.
   */
  private static void assertBodyLimitsConsistent(String name, io.envoyproxy.envoy.config.listener.v3.Listener listener,
      ExtAuthz authz, TollgateConfig tollgate) {
    long maxRequest = authz.getWithRequestBody().getMaxRequestBytes();
    assertTrue(listener.hasPerConnectionBufferLimitBytes(),
        name + ": per_connection_buffer_limit_bytes must be set (Envoy's default is 1 MiB)");
    assertTrue(listener.getPerConnectionBufferLimitBytes().getValue() >= maxRequest,
        name + ": the listener buffer must hold max_request_bytes (" + maxRequest + ")");
    assertEquals(dev.tollgate.config.RequestConfig.PartialBody.DENY, tollgate.request().partialBody(),
        name + ": allow_partial_message with request.partial_body: allow lets what follows the cut through unchecked");
  }

  @ParameterizedTest
  @MethodSource("bootstraps")
  void parsesAndIsWiredAsTollgateNeeds(Path file) throws Exception {
    Bootstrap b = parse(file);
    String name = file.getFileName().toString();
    var clusters = b.getStaticResources().getClustersList().stream()
        .collect(Collectors.toMap(Cluster::getName, c -> c));
    TollgateConfig tollgate = ConfigLoader.load(repoRoot().resolve("server/tollgate.yaml"));
    Set<String> referenced = new java.util.HashSet<>();

    assertFalse(b.getStaticResources().getListenersList().isEmpty(), name);
    for (var listener : b.getStaticResources().getListenersList()) {
      for (var chain : listener.getFilterChainsList()) {
        for (Filter f : chain.getFiltersList()) {
          HttpConnectionManager hcm = unpack(f.getTypedConfig(), HttpConnectionManager.class);
          List<String> order = hcm.getHttpFiltersList().stream().map(HttpFilter::getName).toList();
          assertEquals(List.of("envoy.filters.http.ext_authz", "envoy.filters.http.ext_proc",
              "envoy.filters.http.router"), order, name + ": filter order");

          ExtAuthz authz = unpack(hcm.getHttpFilters(0).getTypedConfig(), ExtAuthz.class);
          assertEquals("V3", authz.getTransportApiVersion().name(), name);
          referenced.add(authz.getGrpcService().getEnvoyGrpc().getClusterName());
          long checkTimeout = millis(authz.getGrpcService().getTimeout());
          assertTrue(checkTimeout > tollgate.store().deadline().toMillis() && checkTimeout <= 1000,
              name + ": ext_authz timeout " + checkTimeout + " ms must exceed store.deadline_ms");
          assertTrue(authz.hasWithRequestBody(), name + ": the body is needed to count tokens");
          assertTrue(authz.getWithRequestBody().getPackAsBytes(), name);
          assertTrue(authz.getWithRequestBody().getAllowPartialMessage(), name);
          assertTrue(authz.getWithRequestBody().getMaxRequestBytes() + 64 * 1024
              <= tollgate.server().maxInboundMessageBytes(), name + ": body limit must fit Tollgate's inbound limit");
          assertBodyLimitsConsistent(name, listener, authz, tollgate);

          ExternalProcessor proc = unpack(hcm.getHttpFilters(1).getTypedConfig(), ExternalProcessor.class);
          referenced.add(proc.getGrpcService().getEnvoyGrpc().getClusterName());
          ProcessingMode mode = proc.getProcessingMode();
          assertEquals(ProcessingMode.BodySendMode.STREAMED, mode.getResponseBodyMode(), name);
          if (mode.getRequestBodyMode() == ProcessingMode.BodySendMode.BUFFERED) {
            long buffer = listener.getPerConnectionBufferLimitBytes().getValue();
            assertTrue(buffer + 64 * 1024 <= tollgate.server().maxInboundMessageBytes(),
                name + ": a BUFFERED request body of " + buffer + " bytes must fit Tollgate's inbound limit");
          }
          assertTrue(proc.getMetadataOptions().getForwardingNamespaces().getUntypedList()
              .contains("envoy.filters.http.ext_authz"), name + ": the metadata bridge");
          long msgTimeout = millis(proc.getMessageTimeout());
          assertTrue(msgTimeout >= 100 && msgTimeout <= 1000, name + ": message_timeout " + msgTimeout);

          unpack(hcm.getHttpFilters(2).getTypedConfig(), Router.class);
          for (VirtualHost vh : hcm.getRouteConfig().getVirtualHostsList()) {
            for (Route r : vh.getRoutesList()) {
              referenced.add(r.getRoute().getCluster());
              assertTrue(r.getRoute().hasTimeout() && millis(r.getRoute().getTimeout()) == 0,
                  name + ": route timeout must be 0s so SSE streams are not cut");
            }
          }
        }
      }
    }
    for (String c : referenced) {
      assertTrue(clusters.containsKey(c), name + ": cluster '" + c + "' is referenced but not defined");
    }
    Cluster t = clusters.get("tollgate");
    HttpProtocolOptions h2 = unpack(t.getTypedExtensionProtocolOptionsOrThrow(
        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"), HttpProtocolOptions.class);
    assertTrue(h2.getExplicitHttpConfig().hasHttp2ProtocolOptions(), name + ": gRPC needs HTTP/2");
    long keepalive = millis(h2.getExplicitHttpConfig().getHttp2ProtocolOptions().getConnectionKeepalive().getInterval());
    assertTrue(keepalive >= tollgate.server().permitKeepAliveTime().toMillis(),
        name + ": Envoy's keepalive interval must not be faster than Tollgate permits");
    assertTrue(t.getHealthChecksList().stream().anyMatch(hc -> hc.hasGrpcHealthCheck()), name);
    if (name.equals("envoy.yaml")) {
      UpstreamTlsContext tls = unpack(clusters.get("openai").getTransportSocket().getTypedConfig(),
          UpstreamTlsContext.class);
      assertEquals("api.openai.com", tls.getSni());
    }
  }
}
