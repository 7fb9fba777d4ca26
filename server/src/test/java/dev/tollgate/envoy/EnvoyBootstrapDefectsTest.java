package dev.tollgate.envoy;

import static dev.tollgate.envoy.EnvoyBootstrapTest.CREDENTIAL_INJECTOR;
import static dev.tollgate.envoy.EnvoyBootstrapTest.EXT_AUTHZ;
import static dev.tollgate.envoy.EnvoyBootstrapTest.EXT_PROC;
import static dev.tollgate.envoy.EnvoyBootstrapTest.JWT_AUTHN;
import static dev.tollgate.envoy.EnvoyBootstrapTest.parse;
import static dev.tollgate.envoy.EnvoyBootstrapTest.repoRoot;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.protobuf.Message;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.extensions.access_loggers.stream.v3.StdoutAccessLog;
import io.envoyproxy.envoy.extensions.filters.http.credential_injector.v3.CredentialInjector;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each rule of {@link EnvoyBootstrapTest} holds on a shipped bootstrap and fails once the defect it
 * is about is put back into it: a rule that cannot fail protects nothing.
 */
class EnvoyBootstrapDefectsTest {

  record Defect(String what, String file, UnaryOperator<Bootstrap> put, RuleCheck rule) {
    @Override
    public String toString() {
      return what;
    }
  }

  @FunctionalInterface
  interface RuleCheck {
    void check(String name, Bootstrap b) throws Exception;
  }

  static Bootstrap mapHcm(Bootstrap b, UnaryOperator<HttpConnectionManager.Builder> f) {
    Bootstrap.Builder out = b.toBuilder();
    var l = out.getStaticResourcesBuilder().getListenersBuilder(0);
    var filter = l.getFilterChainsBuilder(0).getFiltersBuilder(0);
    HttpConnectionManager hcm =
        EnvoyBootstrapTest.unpack(filter.getTypedConfig(), HttpConnectionManager.class);
    filter.setTypedConfig(Any.pack(f.apply(hcm.toBuilder()).build()));
    return out.build();
  }

  static <T extends Message> Bootstrap mapFilter(
      Bootstrap b, String name, Class<T> type, UnaryOperator<Message.Builder> f) {
    return mapHcm(
        b,
        hcm -> {
          for (int i = 0; i < hcm.getHttpFiltersCount(); i++) {
            if (hcm.getHttpFilters(i).getName().equals(name)) {
              Message m = EnvoyBootstrapTest.unpack(hcm.getHttpFilters(i).getTypedConfig(), type);
              hcm.getHttpFiltersBuilder(i).setTypedConfig(Any.pack(f.apply(m.toBuilder()).build()));
            }
          }
          return hcm;
        });
  }

  static Bootstrap mapCluster(Bootstrap b, String name, UnaryOperator<Cluster.Builder> f) {
    Bootstrap.Builder out = b.toBuilder();
    var s = out.getStaticResourcesBuilder();
    for (int i = 0; i < s.getClustersCount(); i++) {
      if (s.getClusters(i).getName().equals(name)) {
        s.setClusters(i, f.apply(s.getClusters(i).toBuilder()).build());
      }
    }
    return out.build();
  }

  static Bootstrap withoutSan(Bootstrap b, String cluster) {
    return mapCluster(
        b,
        cluster,
        c -> {
          UpstreamTlsContext tls =
              EnvoyBootstrapTest.unpack(
                  c.getTransportSocket().getTypedConfig(), UpstreamTlsContext.class);
          UpstreamTlsContext.Builder t = tls.toBuilder();
          t.getCommonTlsContextBuilder()
              .getValidationContextBuilder()
              .clearMatchTypedSubjectAltNames();
          c.getTransportSocketBuilder().setTypedConfig(Any.pack(t.build()));
          return c;
        });
  }

  static Stream<Defect> defects() {
    return Stream.of(
        new Defect(
            "path not normalized",
            "envoy.yaml",
            b -> mapHcm(b, HttpConnectionManager.Builder::clearNormalizePath),
            EnvoyBootstrapTest::pathsNormalized),
        new Defect(
            "escaped slashes kept",
            "envoy-local.yaml",
            b -> mapHcm(b, HttpConnectionManager.Builder::clearPathWithEscapedSlashesAction),
            EnvoyBootstrapTest::pathsNormalized),
        new Defect(
            "openai certificate checked by chain only",
            "envoy.yaml",
            b -> withoutSan(b, "openai"),
            EnvoyBootstrapTest::upstreamCertificatesCheckedByName),
        new Defect(
            "IdP certificate checked by chain only",
            "envoy-jwt.yaml",
            b -> withoutSan(b, "idp_jwks"),
            EnvoyBootstrapTest::upstreamCertificatesCheckedByName),
        new Defect(
            "Tollgate reached in plaintext",
            "envoy.yaml",
            b -> mapCluster(b, "tollgate", Cluster.Builder::clearTransportSocket),
            EnvoyBootstrapTest::tollgateReachedOverMutualTls),
        new Defect(
            "ext_proc sent every request header",
            "envoy.yaml",
            b ->
                mapFilter(
                    b,
                    EXT_PROC,
                    ExternalProcessor.class,
                    m -> ((ExternalProcessor.Builder) m).clearForwardRules()),
            EnvoyBootstrapTest::extProcNeverSeesCredentials),
        new Defect(
            "ext_proc allowed authorization",
            "envoy-injector.yaml",
            b ->
                mapFilter(
                    b,
                    EXT_PROC,
                    ExternalProcessor.class,
                    m -> {
                      var p = (ExternalProcessor.Builder) m;
                      p.getForwardRulesBuilder()
                          .getAllowedHeadersBuilder()
                          .addPatterns(StringMatcher.newBuilder().setPrefix("auth"));
                      return p;
                    }),
            EnvoyBootstrapTest::extProcNeverSeesCredentials),
        new Defect(
            "route idle timeout 300 s",
            "envoy-local.yaml",
            b ->
                mapHcm(
                    b,
                    h -> {
                      h.getRouteConfigBuilder()
                          .getVirtualHostsBuilder(0)
                          .getRoutesBuilder(0)
                          .getRouteBuilder()
                          .setIdleTimeout(Duration.newBuilder().setSeconds(300));
                      return h;
                    }),
            EnvoyBootstrapTest::idleTimeoutsOutlastTheSdk),
        new Defect(
            "stream idle timeout left at its default",
            "envoy.yaml",
            b -> mapHcm(b, HttpConnectionManager.Builder::clearStreamIdleTimeout),
            EnvoyBootstrapTest::idleTimeoutsOutlastTheSdk),
        new Defect(
            "openai circuit breakers at the defaults",
            "envoy.yaml",
            b -> mapCluster(b, "openai", Cluster.Builder::clearCircuitBreakers),
            EnvoyBootstrapTest::circuitBreakersRaised),
        new Defect(
            "no access log",
            "envoy-jwt.yaml",
            b -> mapHcm(b, HttpConnectionManager.Builder::clearAccessLog),
            EnvoyBootstrapTest::accessLogged),
        new Defect(
            "access log writes authorization",
            "envoy.yaml",
            b ->
                mapHcm(
                    b,
                    h -> {
                      StdoutAccessLog log =
                          EnvoyBootstrapTest.unpack(
                              h.getAccessLog(0).getTypedConfig(), StdoutAccessLog.class);
                      StdoutAccessLog.Builder lb = log.toBuilder();
                      lb.getLogFormatBuilder()
                          .getJsonFormatBuilder()
                          .putFields(
                              "auth",
                              Value.newBuilder().setStringValue("%REQ(AUTHORIZATION)%").build());
                      h.getAccessLogBuilder(0).setTypedConfig(Any.pack(lb.build()));
                      return h;
                    }),
            EnvoyBootstrapTest::accessLogged),
        new Defect(
            "listener buffer at Envoy's 1 MiB default",
            "envoy-injector.yaml",
            b -> {
              Bootstrap.Builder out = b.toBuilder();
              out.getStaticResourcesBuilder()
                  .getListenersBuilder(0)
                  .clearPerConnectionBufferLimitBytes();
              return out.build();
            },
            (n, b) -> EnvoyBootstrapTest.bodyLimitsConsistent(n, b, EnvoyBootstrapTest.tollgate())),
        new Defect(
            "credential injector before ext_authz",
            "envoy-injector.yaml",
            b ->
                mapHcm(
                    b,
                    h -> {
                      HttpFilter inj =
                          h.getHttpFiltersList().stream()
                              .filter(f -> f.getName().equals(CREDENTIAL_INJECTOR))
                              .findFirst()
                              .orElseThrow();
                      List<HttpFilter> rest = new ArrayList<>(h.getHttpFiltersList());
                      rest.remove(inj);
                      rest.add(0, inj);
                      return h.clearHttpFilters().addAllHttpFilters(rest);
                    }),
            EnvoyBootstrapTest::filterOrder),
        new Defect(
            "credential injector keeps the client's header",
            "envoy-injector.yaml",
            b ->
                mapFilter(
                    b,
                    CREDENTIAL_INJECTOR,
                    CredentialInjector.class,
                    m -> ((CredentialInjector.Builder) m).setOverwrite(false)),
            EnvoyBootstrapTest::credentialInjected),
        new Defect(
            "JWT claims not forwarded to the Check",
            "envoy-jwt.yaml",
            b ->
                mapFilter(
                    b,
                    EXT_AUTHZ,
                    ExtAuthz.class,
                    m -> ((ExtAuthz.Builder) m).clearMetadataContextNamespaces()),
            EnvoyBootstrapTest::jwtClaimsReachTheCheck),
        new Defect(
            "JWT payload not in metadata",
            "envoy-jwt.yaml",
            b ->
                mapFilter(
                    b,
                    JWT_AUTHN,
                    JwtAuthentication.class,
                    m -> {
                      var j = (JwtAuthentication.Builder) m;
                      j.putProviders(
                          "idp",
                          j.getProvidersOrThrow("idp").toBuilder()
                              .clearPayloadInMetadata()
                              .build());
                      return j;
                    }),
            EnvoyBootstrapTest::jwtClaimsReachTheCheck));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("defects")
  void everyRuleCatchesItsDefect(Defect d) throws Exception {
    Bootstrap shipped = parse(repoRoot().resolve("envoy").resolve(d.file()));
    d.rule().check(d.file(), shipped);
    assertThrows(
        AssertionError.class, () -> d.rule().check(d.file(), d.put().apply(shipped)), d.what());
  }
}
