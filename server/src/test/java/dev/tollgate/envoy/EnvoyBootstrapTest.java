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
import com.google.protobuf.Message;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import dev.tollgate.config.ConfigLoader;
import dev.tollgate.config.IdentitySource;
import dev.tollgate.config.TollgateConfig;
import dev.tollgate.testsupport.RepoRoot;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLog;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.access_loggers.stream.v3.StdoutAccessLog;
import io.envoyproxy.envoy.extensions.filters.http.credential_injector.v3.CredentialInjector;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.HeaderForwardingRules;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtProvider;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.http.injected_credentials.generic.v3.Generic;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every bootstrap in {@code envoy/} parses into Envoy's {@code Bootstrap} with a type registry of
 * exactly the {@code @type}s used (unknown fields or types fail), and holds what a parse cannot
 * check: filter order, clusters that exist, sane durations, a body limit Tollgate accepts, upstream
 * certificates checked by name, the upstream key never sent back to Tollgate nor logged, timeouts
 * and circuit breakers that do not cut long or many streams. Each rule is a method over a whole
 * {@code Bootstrap}; {@link EnvoyBootstrapDefectsTest} shows each one failing on its defect put
 * back.
 */
public class EnvoyBootstrapTest {
  private static final JsonFormat.TypeRegistry TYPES =
      JsonFormat.TypeRegistry.newBuilder()
          .add(HttpConnectionManager.getDescriptor())
          .add(JwtAuthentication.getDescriptor())
          .add(ExtAuthz.getDescriptor())
          .add(ExternalProcessor.getDescriptor())
          .add(CredentialInjector.getDescriptor())
          .add(Generic.getDescriptor())
          .add(Router.getDescriptor())
          .add(StdoutAccessLog.getDescriptor())
          .add(UpstreamTlsContext.getDescriptor())
          .add(HttpProtocolOptions.getDescriptor())
          .build();

  static final String JWT_AUTHN = "envoy.filters.http.jwt_authn";
  static final String EXT_AUTHZ = "envoy.filters.http.ext_authz";
  static final String EXT_PROC = "envoy.filters.http.ext_proc";
  static final String CREDENTIAL_INJECTOR = "envoy.filters.http.credential_injector";
  static final String ROUTER = "envoy.filters.http.router";

  /** The OpenAI SDKs wait this long for a non-streaming answer; no idle timeout may be shorter. */
  static final long SDK_TIMEOUT_MS = 600_000;

  /** Circuit-breaker floors: one concurrent SSE stream holds one request for its whole duration. */
  static final long MIN_MAX_REQUESTS = 16_384;

  static final long MIN_MAX_PENDING = 4_096;

  /**
   * An HTTP/2 cluster multiplexes streams on few connections; over HTTP/1.1 each request holds one.
   */
  static final long MIN_MAX_CONNECTIONS_H2 = 1_024;

  /** The only headers ProcessingSession reads (all of them response headers). */
  static final List<String> HEADERS_ACCOUNTING_READS =
      List.of(":status", "content-type", "content-encoding");

  /** Request headers that carry a credential: never forwarded to ext_proc nor written to a log. */
  public static final List<String> CREDENTIAL_HEADERS =
      List.of("authorization", "proxy-authorization", "cookie", "x-end-user-token");

  static Path repoRoot() {
    return RepoRoot.get();
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
      JsonFormat.parser()
          .usingTypeRegistry(TYPES)
          .merge(new ObjectMapper().writeValueAsString(tree), b);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(file.getFileName() + ": " + e.getMessage(), e);
    }
    return b.build();
  }

  static <T extends Message> T unpack(Any any, Class<T> type) {
    assertTrue(any.is(type), "expected " + type.getSimpleName() + " but got " + any.getTypeUrl());
    try {
      return any.unpack(type);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  private static long millis(Duration d) {
    return d.getSeconds() * 1000 + d.getNanos() / 1_000_000;
  }

  static TollgateConfig tollgate() throws Exception {
    return ConfigLoader.load(repoRoot().resolve("server/tollgate.yaml"));
  }

  /** The Tollgate configuration a bootstrap is shipped with. */
  static TollgateConfig tollgateFor(String bootstrap) throws Exception {
    if (bootstrap.equals("envoy-gpt-action.yaml")) {
      Path example = repoRoot().resolve("server/examples/gpt-action.yaml");
      return ConfigLoader.parse(
          Files.readString(example),
          example.toString(),
          Map.of("GPT_ACTION_KEY_SHA256", "0".repeat(64)));
    }
    return tollgate();
  }

  /**
   * An Envoy without ext_proc settles nothing: every route of its Tollgate configuration counts
   * requests only (an {@code openai} route would reserve tokens that are never settled).
   */
  static void routesMatchTheFilters(String name, Bootstrap b, TollgateConfig tollgate) {
    for (Hcm h : hcms(b)) {
      if (!h.accounts()) {
        for (var r : tollgate.routes().routes()) {
          assertEquals(
              dev.tollgate.config.RoutesConfig.Count.REQUESTS,
              r.count(),
              name + ": route " + r.prefix() + " counts the OpenAI API but nothing settles it");
        }
      }
    }
  }

  /** Every HTTP connection manager of every listener, with its listener. */
  record Hcm(Listener listener, HttpConnectionManager hcm) {
    <T extends Message> T filter(String name, Class<T> type) {
      for (HttpFilter f : hcm.getHttpFiltersList()) {
        if (f.getName().equals(name)) {
          return unpack(f.getTypedConfig(), type);
        }
      }
      return null;
    }

    List<String> order() {
      return hcm.getHttpFiltersList().stream().map(HttpFilter::getName).toList();
    }

    /**
     * Whether this Envoy accounts for OpenAI responses (ext_proc); without it, it fronts an API
     * whose routes count requests only (a ChatGPT Action).
     */
    boolean accounts() {
      return order().contains(EXT_PROC);
    }
  }

  static List<Hcm> hcms(Bootstrap b) {
    List<Hcm> out = new ArrayList<>();
    for (Listener listener : b.getStaticResources().getListenersList()) {
      for (var chain : listener.getFilterChainsList()) {
        for (Filter f : chain.getFiltersList()) {
          out.add(new Hcm(listener, unpack(f.getTypedConfig(), HttpConnectionManager.class)));
        }
      }
    }
    return out;
  }

  static Map<String, Cluster> clusters(Bootstrap b) {
    return b.getStaticResources().getClustersList().stream()
        .collect(Collectors.toMap(Cluster::getName, c -> c));
  }

  // ---------------------------------------------------------------------------------------------
  // The rules

  /**
   * jwt_authn (optional) → ext_authz → ext_proc → credential_injector (optional) → router. The
   * injector after ext_authz: only an allowed request gets the key; after ext_proc: ext_proc never
   * sees it either. jwt_authn before ext_authz: the Check sees the verified claims.
   */
  static void filterOrder(String name, Bootstrap b) {
    assertFalse(b.getStaticResources().getListenersList().isEmpty(), name);
    for (Hcm h : hcms(b)) {
      List<String> order = h.order();
      List<String> expected = new ArrayList<>();
      if (order.contains(JWT_AUTHN)) {
        expected.add(JWT_AUTHN);
      }
      expected.add(EXT_AUTHZ);
      if (order.contains(EXT_PROC)) {
        expected.add(EXT_PROC);
      }
      if (order.contains(CREDENTIAL_INJECTOR)) {
        expected.add(CREDENTIAL_INJECTOR);
      }
      expected.add(ROUTER);
      assertEquals(expected, order, name + ": filter order");
      unpack(h.hcm().getHttpFilters(order.size() - 1).getTypedConfig(), Router.class);
    }
  }

  /**
   * ext_authz as Tollgate needs it: the body, a timeout above the store's, a body limit it accepts.
   */
  static void extAuthzWired(String name, Bootstrap b, TollgateConfig tollgate) {
    for (Hcm h : hcms(b)) {
      ExtAuthz authz = h.filter(EXT_AUTHZ, ExtAuthz.class);
      assertEquals("V3", authz.getTransportApiVersion().name(), name);
      long checkTimeout = millis(authz.getGrpcService().getTimeout());
      assertTrue(
          checkTimeout > tollgate.store().deadline().toMillis() && checkTimeout <= 1000,
          name + ": ext_authz timeout " + checkTimeout + " ms must exceed store.deadline_ms");
      assertFalse(
          authz.getFailureModeAllow(), name + ": Tollgate unreachable must not mean unmetered");
      if (!h.accounts()) {
        assertFalse(
            authz.hasWithRequestBody(),
            name + ": routes that count requests read no body: do not buffer it for the Check");
        continue;
      }
      assertTrue(authz.hasWithRequestBody(), name + ": the body is needed to count tokens");
      assertTrue(authz.getWithRequestBody().getPackAsBytes(), name);
      assertTrue(authz.getWithRequestBody().getAllowPartialMessage(), name);
    }
  }

  /**
   * Every body is checked whole or refused: the listener buffer holds {@code max_request_bytes}
   * (else ext_proc's BUFFERED body is a 413 after the Check allowed it, or the partial Check never
   * comes), both fit Tollgate's inbound limit, and a cut body meets Tollgate's partial-body policy,
   * which refuses by default.
   */
  static void bodyLimitsConsistent(String name, Bootstrap b, TollgateConfig tollgate) {
    for (Hcm h : hcms(b)) {
      if (!h.accounts()) {
        continue;
      }
      ExtAuthz authz = h.filter(EXT_AUTHZ, ExtAuthz.class);
      long maxRequest = authz.getWithRequestBody().getMaxRequestBytes();
      Listener listener = h.listener();
      assertTrue(
          listener.hasPerConnectionBufferLimitBytes(),
          name + ": per_connection_buffer_limit_bytes must be set (Envoy's default is 1 MiB)");
      long buffer = listener.getPerConnectionBufferLimitBytes().getValue();
      assertTrue(
          buffer >= maxRequest,
          name + ": the listener buffer must hold max_request_bytes (" + maxRequest + ")");
      assertTrue(
          maxRequest + 64 * 1024 <= tollgate.server().maxInboundMessageBytes(),
          name + ": body limit must fit Tollgate's inbound limit");
      ExternalProcessor proc = h.filter(EXT_PROC, ExternalProcessor.class);
      if (proc.getProcessingMode().getRequestBodyMode() == ProcessingMode.BodySendMode.BUFFERED) {
        assertTrue(
            buffer + 64 * 1024 <= tollgate.server().maxInboundMessageBytes(),
            name
                + ": a BUFFERED request body of "
                + buffer
                + " bytes must fit Tollgate's inbound limit");
      }
      assertEquals(
          dev.tollgate.config.RequestConfig.PartialBody.DENY,
          tollgate.request().partialBody(),
          name
              + ": allow_partial_message with request.partial_body: allow lets what follows the cut through unchecked");
    }
  }

  /**
   * ext_proc: the metadata bridge, streamed responses, a message timeout that is neither 0 nor
   * long.
   */
  static void extProcWired(String name, Bootstrap b) {
    for (Hcm h : hcms(b)) {
      if (!h.accounts()) {
        continue;
      }
      ExternalProcessor proc = h.filter(EXT_PROC, ExternalProcessor.class);
      assertEquals(
          ProcessingMode.BodySendMode.STREAMED,
          proc.getProcessingMode().getResponseBodyMode(),
          name);
      assertTrue(
          proc.getMetadataOptions().getForwardingNamespaces().getUntypedList().contains(EXT_AUTHZ),
          name + ": the metadata bridge");
      long msgTimeout = millis(proc.getMessageTimeout());
      assertTrue(msgTimeout >= 100 && msgTimeout <= 1000, name + ": message_timeout " + msgTimeout);
    }
  }

  /**
   * ext_proc runs after ext_authz put the upstream key in {@code authorization}: it must not get
   * that header (nor any other credential), but must get the headers accounting reads.
   */
  static void extProcNeverSeesCredentials(String name, Bootstrap b) {
    for (Hcm h : hcms(b)) {
      if (!h.accounts()) {
        continue;
      }
      ExternalProcessor proc = h.filter(EXT_PROC, ExternalProcessor.class);
      boolean requestHeadersSent =
          proc.getProcessingMode().getRequestHeaderMode() != ProcessingMode.HeaderSendMode.SKIP;
      HeaderForwardingRules rules = proc.getForwardRules();
      if (requestHeadersSent) {
        for (String credential : CREDENTIAL_HEADERS) {
          assertFalse(
              forwarded(rules, credential),
              name + ": ext_proc is sent the " + credential + " header");
        }
      }
      for (String needed : HEADERS_ACCOUNTING_READS) {
        assertTrue(
            forwarded(rules, needed),
            name + ": ext_proc is not sent " + needed + ", which accounting reads");
      }
    }
  }

  /** Envoy's ext_proc forward_rules (MutationUtils::headerCanBeForwarded). */
  public static boolean forwarded(HeaderForwardingRules rules, String header) {
    if (rules.hasDisallowedHeaders()
        && matchesAny(rules.getDisallowedHeaders().getPatternsList(), header)) {
      return false;
    }
    return !rules.hasAllowedHeaders()
        || matchesAny(rules.getAllowedHeaders().getPatternsList(), header);
  }

  static boolean matchesAny(List<StringMatcher> matchers, String value) {
    return matchers.stream().anyMatch(m -> matches(m, value));
  }

  static boolean matches(StringMatcher m, String value) {
    String v = m.getIgnoreCase() ? value.toLowerCase(Locale.ROOT) : value;
    return switch (m.getMatchPatternCase()) {
      case EXACT ->
          v.equals(m.getIgnoreCase() ? m.getExact().toLowerCase(Locale.ROOT) : m.getExact());
      case PREFIX ->
          v.startsWith(m.getIgnoreCase() ? m.getPrefix().toLowerCase(Locale.ROOT) : m.getPrefix());
      case SUFFIX ->
          v.endsWith(m.getIgnoreCase() ? m.getSuffix().toLowerCase(Locale.ROOT) : m.getSuffix());
      case CONTAINS ->
          v.contains(
              m.getIgnoreCase() ? m.getContains().toLowerCase(Locale.ROOT) : m.getContains());
      case SAFE_REGEX -> value.matches(m.getSafeRegex().getRegex());
      default -> true; // a matcher this test cannot evaluate: assume the worst (it matches)
    };
  }

  /**
   * Every TLS upstream checks the certificate's chain ({@code trusted_ca}) and its name (a SAN
   * matcher): with only {@code trusted_ca} any certificate a public CA signed for any name passes.
   */
  static void upstreamCertificatesCheckedByName(String name, Bootstrap b) {
    for (Cluster c : b.getStaticResources().getClustersList()) {
      if (!c.hasTransportSocket()) {
        continue;
      }
      UpstreamTlsContext tls =
          unpack(c.getTransportSocket().getTypedConfig(), UpstreamTlsContext.class);
      CertificateValidationContext v = tls.getCommonTlsContext().getValidationContext();
      assertTrue(
          v.hasTrustedCa(),
          name + ": cluster " + c.getName() + " does not verify the certificate chain");
      assertFalse(
          v.getMatchTypedSubjectAltNamesList().isEmpty(),
          name
              + ": cluster "
              + c.getName()
              + " does not check the certificate's name (match_typed_subject_alt_names)");
      for (SubjectAltNameMatcher san : v.getMatchTypedSubjectAltNamesList()) {
        assertEquals(
            SubjectAltNameMatcher.SanType.DNS, san.getSanType(), name + ": " + c.getName());
        assertEquals(
            StringMatcher.MatchPatternCase.EXACT,
            san.getMatcher().getMatchPatternCase(),
            name + ": " + c.getName() + ": an exact DNS name (Envoy then applies wildcard rules)");
      }
      if (!tls.getSni().isEmpty()) {
        assertTrue(
            v.getMatchTypedSubjectAltNamesList().stream()
                .anyMatch(s -> s.getMatcher().getExact().equals(tls.getSni())),
            name
                + ": cluster "
                + c.getName()
                + " checks a name other than the one it asks for (sni "
                + tls.getSni()
                + ")");
      }
    }
    Cluster openai = clusters(b).get("openai");
    if (openai == null) {
      return;
    }
    SocketAddress upstream =
        openai
            .getLoadAssignment()
            .getEndpoints(0)
            .getLbEndpoints(0)
            .getEndpoint()
            .getAddress()
            .getSocketAddress();
    if (upstream.getPortValue() == 443) {
      assertTrue(openai.hasTransportSocket(), name + ": port 443 without TLS");
    }
  }

  /**
   * The Check answer carries the upstream key (in Tollgate's default mode): off the loopback, the
   * connection to Tollgate is mutual TLS, Tollgate's certificate checked by name.
   */
  static void tollgateReachedOverMutualTls(String name, Bootstrap b) {
    Set<String> tollgateClusters = new HashSet<>();
    for (Hcm h : hcms(b)) {
      tollgateClusters.add(
          h.filter(EXT_AUTHZ, ExtAuthz.class).getGrpcService().getEnvoyGrpc().getClusterName());
      if (h.accounts()) {
        tollgateClusters.add(
            h.filter(EXT_PROC, ExternalProcessor.class)
                .getGrpcService()
                .getEnvoyGrpc()
                .getClusterName());
      }
    }
    for (String c : tollgateClusters) {
      assertTrue(clusters(b).containsKey(c), name + ": no cluster " + c);
      tollgateOverMutualTls(name, clusters(b).get(c));
    }
  }

  private static void tollgateOverMutualTls(String name, Cluster t) {
    for (var endpoints : t.getLoadAssignment().getEndpointsList()) {
      for (var lb : endpoints.getLbEndpointsList()) {
        String host = lb.getEndpoint().getAddress().getSocketAddress().getAddress();
        if (host.equals("127.0.0.1") || host.equals("::1") || host.equals("localhost")) {
          continue;
        }
        assertTrue(
            t.hasTransportSocket(), name + ": Tollgate at " + host + " is reached in plaintext");
        UpstreamTlsContext tls =
            unpack(t.getTransportSocket().getTypedConfig(), UpstreamTlsContext.class);
        assertFalse(
            tls.getCommonTlsContext().getTlsCertificatesList().isEmpty(),
            name + ": no client certificate for Tollgate (server.tls.client_ca_file requires one)");
        assertTrue(
            tls.getCommonTlsContext().getAlpnProtocolsList().contains("h2"),
            name + ": gRPC over TLS needs ALPN h2");
      }
    }
  }

  /** gRPC to Tollgate: HTTP/2, keepalive Tollgate permits, health checks. */
  static void tollgateClusterWired(String name, Bootstrap b, TollgateConfig tollgate) {
    Map<String, Cluster> clusters = clusters(b);
    Set<String> referenced = new HashSet<>();
    for (Hcm h : hcms(b)) {
      referenced.add(
          h.filter(EXT_AUTHZ, ExtAuthz.class).getGrpcService().getEnvoyGrpc().getClusterName());
      if (h.accounts()) {
        referenced.add(
            h.filter(EXT_PROC, ExternalProcessor.class)
                .getGrpcService()
                .getEnvoyGrpc()
                .getClusterName());
      }
      JwtAuthentication jwt = h.filter(JWT_AUTHN, JwtAuthentication.class);
      if (jwt != null) {
        jwt.getProvidersMap()
            .values()
            .forEach(p -> referenced.add(p.getRemoteJwks().getHttpUri().getCluster()));
      }
      for (VirtualHost vh : h.hcm().getRouteConfig().getVirtualHostsList()) {
        for (Route r : vh.getRoutesList()) {
          referenced.add(r.getRoute().getCluster());
          assertTrue(
              r.getRoute().hasTimeout() && millis(r.getRoute().getTimeout()) == 0,
              name + ": route timeout must be 0s so SSE streams are not cut");
        }
      }
    }
    referenced.remove("");
    for (String c : referenced) {
      assertTrue(
          clusters.containsKey(c), name + ": cluster '" + c + "' is referenced but not defined");
    }
    Cluster t = clusters.get("tollgate");
    HttpProtocolOptions h2 =
        unpack(
            t.getTypedExtensionProtocolOptionsOrThrow(
                "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"),
            HttpProtocolOptions.class);
    assertTrue(h2.getExplicitHttpConfig().hasHttp2ProtocolOptions(), name + ": gRPC needs HTTP/2");
    long keepalive =
        millis(
            h2.getExplicitHttpConfig()
                .getHttp2ProtocolOptions()
                .getConnectionKeepalive()
                .getInterval());
    assertTrue(
        keepalive >= tollgate.server().permitKeepAliveTime().toMillis(),
        name + ": Envoy's keepalive interval must not be faster than Tollgate permits");
    assertTrue(t.getHealthChecksList().stream().anyMatch(hc -> hc.hasGrpcHealthCheck()), name);
  }

  /**
   * A long non-streaming call sends nothing until it is done (a reasoning model: minutes) and is
   * billed whether or not Envoy waits: no idle timeout below the SDKs' 600 s, none left at a
   * default.
   */
  static void idleTimeoutsOutlastTheSdk(String name, Bootstrap b) {
    for (Hcm h : hcms(b)) {
      assertTrue(
          h.hcm().hasStreamIdleTimeout()
              && millis(h.hcm().getStreamIdleTimeout()) >= SDK_TIMEOUT_MS,
          name + ": stream_idle_timeout must be set to at least 600 s (Envoy's default is 5 min)");
      for (VirtualHost vh : h.hcm().getRouteConfig().getVirtualHostsList()) {
        for (Route r : vh.getRoutesList()) {
          assertTrue(
              r.getRoute().hasIdleTimeout()
                  && millis(r.getRoute().getIdleTimeout()) >= SDK_TIMEOUT_MS,
              name + ": route idle_timeout must be set to at least 600 s");
        }
      }
    }
  }

  /**
   * Every cluster's default-priority thresholds at least the floors (Envoy's defaults are 1024).
   */
  static void circuitBreakersRaised(String name, Bootstrap b) {
    for (Cluster c : b.getStaticResources().getClustersList()) {
      CircuitBreakers.Thresholds t =
          c.getCircuitBreakers().getThresholdsList().stream()
              .filter(
                  th ->
                      th.getPriority()
                          == io.envoyproxy.envoy.config.core.v3.RoutingPriority.DEFAULT)
              .findFirst()
              .orElse(CircuitBreakers.Thresholds.getDefaultInstance());
      boolean h2 =
          c.getTypedExtensionProtocolOptionsMap()
                  .containsKey("envoy.extensions.upstreams.http.v3.HttpProtocolOptions")
              && unpack(
                      c.getTypedExtensionProtocolOptionsOrThrow(
                          "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"),
                      HttpProtocolOptions.class)
                  .getExplicitHttpConfig()
                  .hasHttp2ProtocolOptions();
      String where = name + ": cluster " + c.getName() + " ";
      assertTrue(
          atLeast(t.hasMaxRequests(), t.getMaxRequests(), MIN_MAX_REQUESTS),
          where + "max_requests < " + MIN_MAX_REQUESTS);
      assertTrue(
          atLeast(t.hasMaxPendingRequests(), t.getMaxPendingRequests(), MIN_MAX_PENDING),
          where + "max_pending_requests < " + MIN_MAX_PENDING);
      long connections = h2 ? MIN_MAX_CONNECTIONS_H2 : MIN_MAX_REQUESTS;
      assertTrue(
          atLeast(t.hasMaxConnections(), t.getMaxConnections(), connections),
          where
              + "max_connections < "
              + connections
              + (h2 ? "" : " (HTTP/1.1: one connection per stream)"));
    }
  }

  private static boolean atLeast(boolean set, UInt32Value v, long floor) {
    return set && v.getValue() >= floor;
  }

  /**
   * One JSON line per request on stdout with Tollgate's decision from the ext_authz metadata, and
   * no credential header in it.
   */
  static void accessLogged(String name, Bootstrap b) {
    for (Hcm h : hcms(b)) {
      List<StdoutAccessLog> logs = new ArrayList<>();
      for (AccessLog log : h.hcm().getAccessLogList()) {
        if (log.getTypedConfig().is(StdoutAccessLog.class)) {
          logs.add(unpack(log.getTypedConfig(), StdoutAccessLog.class));
        }
      }
      assertFalse(logs.isEmpty(), name + ": no stdout access log");
      for (StdoutAccessLog log : logs) {
        assertTrue(log.getLogFormat().hasJsonFormat(), name + ": the access log is not JSON");
        List<String> values =
            log.getLogFormat().getJsonFormat().getFieldsMap().values().stream()
                .map(Value::getStringValue)
                .toList();
        assertTrue(
            values.contains("%DYNAMIC_METADATA(" + EXT_AUTHZ + ":decision)%"),
            name + ": the access log does not record Tollgate's decision");
        for (String v : values) {
          for (String credential : CREDENTIAL_HEADERS) {
            assertFalse(
                v.toLowerCase(Locale.ROOT).contains(credential),
                name + ": the access log writes " + v);
          }
          assertFalse(
              v.contains(EXT_AUTHZ + ":reservation")
                  || v.equals("%DYNAMIC_METADATA(" + EXT_AUTHZ + ")%"),
              name + ": the access log writes the sealed ticket");
        }
      }
    }
  }

  /**
   * The credential injector (Envoy holds the upstream key): a generic secret into {@code
   * authorization}, overwriting, and never a request without it.
   */
  static void credentialInjected(String name, Bootstrap b) {
    for (Hcm h : hcms(b)) {
      CredentialInjector inj = h.filter(CREDENTIAL_INJECTOR, CredentialInjector.class);
      if (inj == null) {
        continue;
      }
      assertTrue(
          inj.getOverwrite(), name + ": the injected key must replace whatever the client sent");
      assertFalse(
          inj.getAllowRequestWithoutCredential(),
          name + ": a request without the key would go out with the client's");
      Generic g = unpack(inj.getCredential().getTypedConfig(), Generic.class);
      assertTrue(g.getHeader().isEmpty() || g.getHeader().equalsIgnoreCase("authorization"), name);
      assertTrue(
          g.getCredential().hasSdsConfig(),
          name + ": the key comes from an SDS secret, never inline");
    }
  }

  /**
   * jwt_authn's payload reaches the Check: stored in metadata, and the namespace forwarded by
   * ext_authz. The token is not in {@code authorization} (the Tollgate service key is) and is not
   * forwarded upstream.
   */
  static void jwtClaimsReachTheCheck(String name, Bootstrap b) {
    for (Hcm h : hcms(b)) {
      JwtAuthentication jwt = h.filter(JWT_AUTHN, JwtAuthentication.class);
      if (jwt == null) {
        continue;
      }
      assertFalse(jwt.getProvidersMap().isEmpty(), name);
      for (var e : jwt.getProvidersMap().entrySet()) {
        JwtProvider p = e.getValue();
        assertFalse(
            p.getPayloadInMetadata().isEmpty(),
            name + ": provider " + e.getKey() + " has no payload_in_metadata");
        assertFalse(
            p.getForward(),
            name + ": provider " + e.getKey() + " forwards the end-user token upstream");
        assertFalse(
            p.getFromHeadersList().isEmpty(),
            name
                + ": provider "
                + e.getKey()
                + " would read the token from authorization, which holds the Tollgate service key");
        p.getFromHeadersList()
            .forEach(fh -> assertFalse(fh.getName().equalsIgnoreCase("authorization"), name));
      }
      assertTrue(
          h.filter(EXT_AUTHZ, ExtAuthz.class)
              .getMetadataContextNamespacesList()
              .contains(JWT_AUTHN),
          name
              + ": ext_authz does not forward the jwt_authn metadata (metadata_context_namespaces)");
    }
  }

  /**
   * Tollgate routes on the path the Check carries: Envoy normalizes it first (RFC 3986 decoding of
   * unreserved characters and dot segments, merged slashes, escaped slashes refused), so the path
   * counted is the path the upstream serves, however the client spelled it.
   */
  static void pathsNormalized(String name, Bootstrap b) {
    for (Hcm h : hcms(b)) {
      assertTrue(
          h.hcm().hasNormalizePath() && h.hcm().getNormalizePath().getValue(),
          name + ": normalize_path must be true (Envoy's default is false)");
      assertTrue(h.hcm().getMergeSlashes(), name + ": merge_slashes must be true");
      assertEquals(
          HttpConnectionManager.PathWithEscapedSlashesAction.REJECT_REQUEST,
          h.hcm().getPathWithEscapedSlashesAction(),
          name + ": an escaped / or \\ means different paths to different servers");
    }
  }

  @ParameterizedTest
  @MethodSource("bootstraps")
  void parsesAndHoldsEveryRule(Path file) throws Exception {
    Bootstrap b = parse(file);
    String name = file.getFileName().toString();
    TollgateConfig tollgate = tollgateFor(name);
    filterOrder(name, b);
    extAuthzWired(name, b, tollgate);
    bodyLimitsConsistent(name, b, tollgate);
    extProcWired(name, b);
    extProcNeverSeesCredentials(name, b);
    upstreamCertificatesCheckedByName(name, b);
    tollgateReachedOverMutualTls(name, b);
    tollgateClusterWired(name, b, tollgate);
    idleTimeoutsOutlastTheSdk(name, b);
    circuitBreakersRaised(name, b);
    accessLogged(name, b);
    credentialInjected(name, b);
    jwtClaimsReachTheCheck(name, b);
    pathsNormalized(name, b);
    routesMatchTheFilters(name, b, tollgate);
  }

  @Test
  void egressVerifiesApiOpenaiCom() throws Exception {
    UpstreamTlsContext tls =
        unpack(
            clusters(parse(repoRoot().resolve("envoy/envoy.yaml")))
                .get("openai")
                .getTransportSocket()
                .getTypedConfig(),
            UpstreamTlsContext.class);
    assertEquals("api.openai.com", tls.getSni());
    assertEquals(
        "api.openai.com",
        tls.getCommonTlsContext()
            .getValidationContext()
            .getMatchTypedSubjectAltNames(0)
            .getMatcher()
            .getExact());
  }

  /** The shipped identity sources name only what some bootstrap in envoy/ provides. */
  @Test
  void advertisedJwtSourceIsWiredInSomeBootstrap() throws Exception {
    boolean jwtSource =
        tollgate().identity().sources().stream()
            .anyMatch(s -> s instanceof IdentitySource.JwtClaim);
    if (!jwtSource) {
      return;
    }
    List<Path> wired = new ArrayList<>();
    for (Path f : bootstraps().toList()) {
      if (hcms(parse(f)).stream()
          .anyMatch(h -> h.filter(JWT_AUTHN, JwtAuthentication.class) != null)) {
        wired.add(f);
      }
    }
    assertFalse(
        wired.isEmpty(),
        "server/tollgate.yaml lists a jwt: identity source but no bootstrap has jwt_authn");
  }

  /** The injector mode is shipped. */
  @Test
  void injectorBootstrapShipped() throws Exception {
    Bootstrap b = parse(repoRoot().resolve("envoy/envoy-injector.yaml"));
    assertTrue(
        hcms(b).stream()
            .allMatch(h -> h.filter(CREDENTIAL_INJECTOR, CredentialInjector.class) != null));
  }
}
