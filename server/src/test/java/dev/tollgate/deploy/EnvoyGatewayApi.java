package dev.tollgate.deploy;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Envoy Gateway's custom resources ({@code gateway.envoyproxy.io/v1alpha1}), exactly the subset of
 * their schema that {@code k8s/envoy-gateway} uses: field names and types as in Envoy Gateway's Go
 * types, {@code api/v1alpha1/} at v1.8.0 (unchanged in v1.9.0): {@code securitypolicy_types.go},
 * {@code ext_auth_types.go}, {@code envoyextensionypolicy_types.go}, {@code ext_proc_types.go},
 * {@code clienttrafficpolicy_types.go}, {@code connection_types.go}, {@code timeout_types.go},
 * {@code backend_types.go}, {@code backendtrafficpolicy_types.go}, {@code circuitbreaker_types.go},
 * {@code shared_types.go} (BackendCluster, BackendRef, ClusterSettings), {@code policy_helpers.go}
 * (PolicyTargetReferences), {@code httproutefilter_types.go}. A field not listed here, misspelled
 * or not in Envoy Gateway's API, fails the parse: the reader fails on unknown properties.
 */
final class EnvoyGatewayApi {
  static final String API_VERSION = "gateway.envoyproxy.io/v1alpha1";

  /** Fails on any property the records do not declare, and on a wrong enum value. */
  static final ObjectMapper STRICT =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
          .build();

  /** The kinds modelled here, by their {@code kind}. */
  static final Map<String, Class<? extends Resource>> KINDS =
      Map.of(
          "SecurityPolicy", SecurityPolicy.class,
          "EnvoyExtensionPolicy", EnvoyExtensionPolicy.class,
          "ClientTrafficPolicy", ClientTrafficPolicy.class,
          "BackendTrafficPolicy", BackendTrafficPolicy.class,
          "Backend", Backend.class,
          "HTTPRouteFilter", HttpRouteFilter.class);

  private EnvoyGatewayApi() {}

  /** One resource of a modelled kind, read strictly. */
  static Resource parse(JsonNode n) throws Exception {
    String kind = n.path("kind").asText();
    Class<? extends Resource> type = KINDS.get(kind);
    if (type == null || !API_VERSION.equals(n.path("apiVersion").asText())) {
      throw new AssertionError(
          "not a modelled Envoy Gateway kind: " + n.path("apiVersion").asText() + " " + kind);
    }
    return STRICT.treeToValue(n, type);
  }

  /** A Gateway API duration (GEP-2257, {@code gwapiv1.Duration}): 1h, 15m, 900s, 250ms, 1m30s. */
  static Duration duration(String s) {
    if (s == null || !s.matches("([0-9]{1,5}(h|m|s|ms)){1,4}")) {
      throw new AssertionError("not a Gateway API duration: " + s);
    }
    Duration d = Duration.ZERO;
    Matcher m = Pattern.compile("([0-9]{1,5})(h|ms|m|s)").matcher(s);
    while (m.find()) {
      long v = Long.parseLong(m.group(1));
      d =
          d.plus(
              switch (m.group(2)) {
                case "h" -> Duration.ofHours(v);
                case "m" -> Duration.ofMinutes(v);
                case "s" -> Duration.ofSeconds(v);
                default -> Duration.ofMillis(v);
              });
    }
    return d;
  }

  /** Every modelled kind: apiVersion, kind, metadata. */
  sealed interface Resource
      permits SecurityPolicy,
          EnvoyExtensionPolicy,
          ClientTrafficPolicy,
          BackendTrafficPolicy,
          Backend,
          HttpRouteFilter {
    String apiVersion();

    String kind();

    Meta metadata();
  }

  record Meta(
      String name, String namespace, Map<String, String> labels, Map<String, String> annotations) {}

  /** gwapiv1.LocalPolicyTargetReferenceWithSectionName. */
  record TargetRef(String group, String kind, String name, String sectionName) {}

  /** BackendRef: gwapiv1.BackendObjectReference inline (+ weight). */
  record BackendRef(
      String group, String kind, String name, String namespace, Integer port, Integer weight) {}

  /** ClusterSettings: only the circuit breakers are used. */
  record ClusterSettings(CircuitBreaker circuitBreaker) {}

  record CircuitBreaker(
      Long maxConnections,
      Long maxPendingRequests,
      Long maxParallelRequests,
      Long maxParallelRetries,
      Long maxRequestsPerConnection) {}

  // --- SecurityPolicy with extAuth (securitypolicy_types.go, ext_auth_types.go)

  record SecurityPolicy(String apiVersion, String kind, Meta metadata, SecurityPolicySpec spec)
      implements Resource {}

  record SecurityPolicySpec(List<TargetRef> targetRefs, ExtAuth extAuth) {}

  record ExtAuth(
      GrpcExtAuthService grpc,
      List<String> headersToExtAuth,
      BodyToExtAuth bodyToExtAuth,
      String timeout,
      Boolean failOpen,
      Boolean recomputeRoute,
      Integer statusOnError) {}

  /** GRPCExtAuthService: BackendCluster inline. */
  record GrpcExtAuthService(List<BackendRef> backendRefs, ClusterSettings backendSettings) {}

  record BodyToExtAuth(long maxRequestBytes) {}

  // --- EnvoyExtensionPolicy with extProc (envoyextensionypolicy_types.go, ext_proc_types.go)

  record EnvoyExtensionPolicy(
      String apiVersion, String kind, Meta metadata, EnvoyExtensionPolicySpec spec)
      implements Resource {}

  record EnvoyExtensionPolicySpec(List<TargetRef> targetRefs, List<ExtProc> extProc) {}

  /** Without statusOnError, which Envoy Gateway 1.8 does not have (1.9 added it). */
  record ExtProc(
      List<BackendRef> backendRefs,
      ClusterSettings backendSettings,
      String messageTimeout,
      Boolean failOpen,
      ExtProcProcessingMode processingMode,
      ExtProcMetadata metadata) {}

  record ExtProcProcessingMode(
      ProcessingModeOptions request, ProcessingModeOptions response, Boolean allowModeOverride) {}

  /** Present: the headers of that direction are sent; body: how the body is. */
  record ProcessingModeOptions(BodyMode body, List<String> attributes) {}

  /** ExtProcBodyProcessingMode. */
  enum BodyMode {
    @JsonProperty("Streamed")
    STREAMED,
    @JsonProperty("Buffered")
    BUFFERED,
    @JsonProperty("BufferedPartial")
    BUFFERED_PARTIAL,
    @JsonProperty("FullDuplexStreamed")
    FULL_DUPLEX_STREAMED
  }

  record ExtProcMetadata(List<String> accessibleNamespaces, List<String> writableNamespaces) {}

  // --- ClientTrafficPolicy (clienttrafficpolicy_types.go, connection_types.go, timeout_types.go)

  record ClientTrafficPolicy(
      String apiVersion, String kind, Meta metadata, ClientTrafficPolicySpec spec)
      implements Resource {}

  record ClientTrafficPolicySpec(
      List<TargetRef> targetRefs, ClientConnection connection, ClientTimeout timeout) {}

  /** bufferLimit: a resource.Quantity (8Mi). */
  record ClientConnection(String bufferLimit) {}

  record ClientTimeout(HttpClientTimeout http) {}

  record HttpClientTimeout(
      String requestReceivedTimeout, String idleTimeout, String streamIdleTimeout) {}

  // --- BackendTrafficPolicy (backendtrafficpolicy_types.go: ClusterSettings inline)

  record BackendTrafficPolicy(
      String apiVersion, String kind, Meta metadata, BackendTrafficPolicySpec spec)
      implements Resource {}

  record BackendTrafficPolicySpec(List<TargetRef> targetRefs, CircuitBreaker circuitBreaker) {}

  // --- Backend (backend_types.go)

  record Backend(String apiVersion, String kind, Meta metadata, BackendSpec spec)
      implements Resource {}

  record BackendSpec(List<BackendEndpoint> endpoints, BackendTlsSettings tls) {}

  record BackendEndpoint(FqdnEndpoint fqdn, IpEndpoint ip) {}

  record FqdnEndpoint(String hostname, int port) {}

  record IpEndpoint(String address, int port) {}

  record BackendTlsSettings(
      String wellKnownCACertificates, Boolean insecureSkipVerify, String sni) {}

  // --- HTTPRouteFilter with credentialInjection (httproutefilter_types.go)

  record HttpRouteFilter(String apiVersion, String kind, Meta metadata, HttpRouteFilterSpec spec)
      implements Resource {}

  record HttpRouteFilterSpec(HttpCredentialInjectionFilter credentialInjection) {}

  record HttpCredentialInjectionFilter(
      String header, Boolean overwrite, InjectedCredential credential) {}

  record InjectedCredential(SecretObjectReference valueRef) {}

  /** gwapiv1.SecretObjectReference. */
  record SecretObjectReference(String group, String kind, String name, String namespace) {}
}
