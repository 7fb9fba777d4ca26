package dev.tollgate.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.config.UpstreamConfig;
import dev.tollgate.deploy.EnvoyGatewayApi.BackendRef;
import dev.tollgate.deploy.EnvoyGatewayApi.BodyMode;
import dev.tollgate.deploy.EnvoyGatewayApi.ExtAuth;
import dev.tollgate.deploy.EnvoyGatewayApi.ExtProc;
import dev.tollgate.deploy.EnvoyGatewayApi.TargetRef;
import dev.tollgate.testsupport.RepoRoot;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPBackendRef;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteFilter;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteRule;
import io.fabric8.kubernetes.api.model.gatewayapi.v1alpha3.BackendTLSPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code k8s/envoy-gateway}: Tollgate behind Envoy Gateway. The resource set is {@code k8s/base}
 * with this directory's patches applied, its Tollgate configuration, and its Gateway API and Envoy
 * Gateway resources: Gateway, HTTPRoute and BackendTLSPolicy load into fabric8's Gateway API models
 * with no unknown field, Envoy Gateway's own kinds into the strict records of {@link
 * EnvoyGatewayApi}. Every rule of {@link KubernetesManifestsTest} runs on this set (the Istio ones
 * skipped), then the rules below; {@link EnvoyGatewayDefectsTest} shows each failing on its defect.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EnvoyGatewayManifestsTest extends KubernetesManifestsTest {
  static final String DIR = "envoy-gateway";
  static final String EXT_AUTHZ_NAMESPACE = "envoy.filters.http.ext_authz";

  /** Where Envoy Gateway runs a Gateway's proxies, and the labels it puts on all of them. */
  static final String PROXY_NAMESPACE = "envoy-gateway-system";

  static final Map<String, String> PROXY_LABELS =
      Map.of("app.kubernetes.io/name", "envoy", "app.kubernetes.io/component", "proxy");
  static final String OWNING_GATEWAY_NAME = "gateway.envoyproxy.io/owning-gateway-name";
  static final String OWNING_GATEWAY_NAMESPACE = "gateway.envoyproxy.io/owning-gateway-namespace";
  static final String EG_GROUP = "gateway.envoyproxy.io";
  private static final Duration SDK_TIMEOUT = Duration.ofSeconds(600);
  private static final Set<String> NOT_RESOURCES = Set.of("kustomization.yaml", "tollgate.yaml");

  /**
   * Defects put into a file's tree before it is read, by file name ({@link
   * EnvoyGatewayDefectsTest}).
   */
  final Map<String, UnaryOperator<JsonNode>> defects = new HashMap<>();

  /** A defect put into this directory's tollgate.yaml before it is read. */
  UnaryOperator<String> configDefect = UnaryOperator.identity();

  /** Envoy Gateway's own resources, by kind/name. */
  final Map<String, EnvoyGatewayApi.Resource> eg = new LinkedHashMap<>();

  /** The NetworkPolicy patch's peers for the gRPC rule. */
  final List<NetworkPolicyPeer> gatewayPeers = new ArrayList<>();

  JsonNode read(Path f) throws IOException {
    JsonNode n = YAML.readTree(f.toFile());
    return defects.getOrDefault(f.getFileName().toString(), UnaryOperator.identity()).apply(n);
  }

  @Override
  void loadManifests() throws Exception {
    Path dir = k8s.resolve(DIR);
    JsonNode deploymentPatch = read(dir.resolve("patches/deployment-no-upstream-key.yaml"));
    for (Path f : yamlFiles(k8s.resolve("base"))) {
      JsonNode n = read(f);
      if ("Deployment".equals(n.path("kind").asText())) {
        n = applyDeletions(n, deploymentPatch);
      }
      add(f.toString(), YAML.treeToValue(n, KubernetesResource.class));
    }
    for (Path f : yamlFiles(dir)) {
      JsonNode n = read(f);
      String kind = n.path("kind").asText();
      if (EnvoyGatewayApi.KINDS.containsKey(kind)) {
        EnvoyGatewayApi.Resource r = EnvoyGatewayApi.parse(n);
        assertNull(eg.put(kind + "/" + r.metadata().name(), r), f + ": a second " + kind);
      } else if (kind.equals("BackendTLSPolicy")) {
        // gateway.networking.k8s.io/v1 (what Envoy Gateway >= 1.6 serves); fabric8 7.3 models only
        // v1alpha3, whose schema for the fields used here (targetRefs, validation.hostname,
        // validation.wellKnownCACertificates, validation.subjectAltNames) is the same
        assertEquals("gateway.networking.k8s.io/v1", n.path("apiVersion").asText(), f.toString());
        add(f.toString(), YAML.treeToValue(n, BackendTLSPolicy.class));
      } else {
        assertTrue(
            n.path("apiVersion").asText().startsWith("gateway.networking.k8s.io/"),
            f + ": kind " + kind);
        add(f.toString(), YAML.treeToValue(n, KubernetesResource.class));
      }
    }
    for (JsonNode op : read(dir.resolve("patches/networkpolicy-gateway.yaml"))) {
      assertTrue(
          op.path("path").asText().matches("/spec/ingress/\\d+/from"),
          "a patch the rules do not check: " + op);
      List<NetworkPolicyPeer> peers =
          List.of(YAML.treeToValue(op.get("value"), NetworkPolicyPeer[].class));
      patchedPeers.add(peers);
      gatewayPeers.addAll(peers);
    }
  }

  private static List<Path> yamlFiles(Path dir) throws IOException {
    try (var files = Files.list(dir)) {
      return files
          .filter(
              f ->
                  f.toString().endsWith(".yaml")
                      && !NOT_RESOURCES.contains(f.getFileName().toString()))
          .sorted()
          .toList();
    }
  }

  /**
   * The Deployment patch as kustomize applies it: a strategic merge patch that only deletes
   * (volumes by name, a container's volumeMounts by mountPath). Anything else in it fails.
   */
  static JsonNode applyDeletions(JsonNode deployment, JsonNode patch) {
    ObjectNode out = deployment.deepCopy();
    assertEquals("Deployment", patch.path("kind").asText());
    assertEquals(deployment.at("/metadata/name"), patch.at("/metadata/name"));
    JsonNode podPatch = patch.at("/spec/template/spec");
    ObjectNode pod = (ObjectNode) out.at("/spec/template/spec");
    for (Iterator<String> it = podPatch.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      assertTrue(
          Set.of("containers", "volumes").contains(field), "the Deployment patch changes " + field);
    }
    deleteByKey((ArrayNode) pod.get("volumes"), podPatch.path("volumes"), "name");
    for (JsonNode c : podPatch.path("containers")) {
      JsonNode container = null;
      for (JsonNode x : pod.get("containers")) {
        container = x.path("name").equals(c.get("name")) ? x : container;
      }
      assertNotNull(
          container,
          "the Deployment patch names a container the base does not have: " + c.get("name"));
      for (Iterator<String> it = c.fieldNames(); it.hasNext(); ) {
        String field = it.next();
        assertTrue(
            Set.of("name", "volumeMounts").contains(field),
            "the Deployment patch changes the container's " + field);
      }
      deleteByKey((ArrayNode) container.get("volumeMounts"), c.path("volumeMounts"), "mountPath");
    }
    return out;
  }

  private static void deleteByKey(ArrayNode list, JsonNode deletions, String key) {
    for (JsonNode d : deletions) {
      assertEquals("delete", d.path("$patch").asText(), "the Deployment patch only deletes: " + d);
      boolean found = false;
      for (int i = list.size() - 1; i >= 0; i--) {
        if (list.get(i).path(key).equals(d.get(key))) {
          list.remove(i);
          found = true;
        }
      }
      assertTrue(found, "the Deployment patch deletes what the base does not have: " + d);
    }
  }

  @Override
  String configYaml() throws Exception {
    return configDefect.apply(Files.readString(k8s.resolve(DIR + "/tollgate.yaml")));
  }

  @Override
  boolean istio() {
    return false;
  }

  @SuppressWarnings("unchecked")
  <T extends EnvoyGatewayApi.Resource> List<T> egAll(Class<T> type) {
    return eg.values().stream().filter(type::isInstance).map(r -> (T) r).toList();
  }

  /** with_request_body.max_request_bytes of envoy/envoy.yaml, the plain Envoy's limit. */
  long envoyYamlMaxRequestBytes() throws IOException {
    Set<Long> values = new HashSet<>();
    YAML.readTree(RepoRoot.resolve("envoy/envoy.yaml").toFile())
        .findValues("max_request_bytes")
        .forEach(v -> values.add(v.asLong()));
    assertEquals(1, values.size(), "one max_request_bytes in envoy/envoy.yaml: " + values);
    return values.iterator().next();
  }

  /** The HTTPRoute rules that reach an Envoy Gateway Backend (the external API). */
  List<HTTPRouteRule> apiRules() {
    List<HTTPRouteRule> rules = new ArrayList<>();
    for (HTTPRoute r : all(HTTPRoute.class)) {
      for (HTTPRouteRule rule : r.getSpec().getRules()) {
        if (rule.getBackendRefs().stream()
            .anyMatch(b -> EG_GROUP.equals(b.getGroup()) && "Backend".equals(b.getKind()))) {
          rules.add(rule);
        }
      }
    }
    assertFalse(rules.isEmpty(), "an HTTPRoute reaches the external API through a Backend");
    return rules;
  }

  /** The routes to the external API, by name. */
  Set<String> apiRoutes() {
    Set<String> names = new HashSet<>();
    for (HTTPRoute r : all(HTTPRoute.class)) {
      if (r.getSpec().getRules().stream().anyMatch(apiRules()::contains)) {
        names.add(r.getMetadata().getName());
      }
    }
    return names;
  }

  /** The Gateways the routes to the external API attach to. */
  Set<String> apiGateways() {
    Set<String> names = new HashSet<>();
    all(HTTPRoute.class).stream()
        .filter(r -> apiRoutes().contains(r.getMetadata().getName()))
        .forEach(r -> r.getSpec().getParentRefs().forEach(p -> names.add(p.getName())));
    return names;
  }

  /** Targets every route to the API (by kind HTTPRoute) or every Gateway they attach to. */
  boolean coversTheApi(List<TargetRef> targets) {
    Set<String> routes = new HashSet<>();
    Set<String> gateways = new HashSet<>();
    for (TargetRef t : targets == null ? List.<TargetRef>of() : targets) {
      assertEquals("gateway.networking.k8s.io", t.group(), "target " + t);
      (t.kind().equals("HTTPRoute") ? routes : gateways).add(t.name());
    }
    return routes.containsAll(apiRoutes()) || gateways.containsAll(apiGateways());
  }

  /** Each backendRef names Tollgate's gRPC port on a Service that selects Tollgate's pods. */
  void assertTollgateGrpc(List<BackendRef> refs, String what) {
    assertFalse(refs == null || refs.isEmpty(), what + ": backendRefs");
    Map<String, String> podLabels = deployment().getSpec().getTemplate().getMetadata().getLabels();
    for (BackendRef ref : refs) {
      assertTrue(ref.kind() == null || ref.kind().equals("Service"), what + ": " + ref);
      assertTrue(ref.group() == null || ref.group().isEmpty(), what + ": " + ref);
      assertTrue(ref.namespace() == null || ref.namespace().equals(NAMESPACE), what + ": " + ref);
      Service s = get(Service.class, ref.name());
      assertTrue(
          selects(s.getSpec().getSelector(), podLabels),
          what + ": " + ref.name() + " selects Tollgate's pods");
      var port =
          s.getSpec().getPorts().stream().filter(p -> p.getPort().equals(ref.port())).findFirst();
      assertTrue(
          port.isPresent() && "grpc".equals(port.get().getTargetPort().getStrVal()),
          what + ": port " + ref.port() + " is gRPC");
      assertEquals(config.server().grpcPort(), ref.port(), what);
    }
  }

  List<ExtAuth> extAuths() {
    List<ExtAuth> out = new ArrayList<>();
    for (var sp : egAll(EnvoyGatewayApi.SecurityPolicy.class)) {
      if (sp.spec().extAuth() != null) {
        assertTrue(
            coversTheApi(sp.spec().targetRefs()),
            sp.metadata().name() + " targets the routes to the API");
        out.add(sp.spec().extAuth());
      }
    }
    assertEquals(1, out.size(), "one SecurityPolicy with extAuth");
    return out;
  }

  List<ExtProc> extProcs() {
    List<ExtProc> out = new ArrayList<>();
    for (var p : egAll(EnvoyGatewayApi.EnvoyExtensionPolicy.class)) {
      if (p.spec().extProc() != null && !p.spec().extProc().isEmpty()) {
        assertTrue(
            coversTheApi(p.spec().targetRefs()),
            p.metadata().name() + " targets the routes to the API");
        out.addAll(p.spec().extProc());
      }
    }
    assertEquals(1, out.size(), "one extProc");
    return out;
  }

  long maxRequestBytes() {
    return extAuths().get(0).bodyToExtAuth().maxRequestBytes();
  }

  @Test
  void kustomizationListsEveryFile() throws Exception {
    Path dir = k8s.resolve(DIR);
    JsonNode k = YAML.readTree(dir.resolve("kustomization.yaml").toFile());
    Set<String> listed = new HashSet<>();
    k.get("resources").forEach(r -> listed.add(r.asText()));
    assertTrue(listed.contains("../base"));
    for (Path f : yamlFiles(dir)) {
      assertTrue(
          listed.contains(f.getFileName().toString()), f + " is not listed in the kustomization");
    }
    for (String r : listed) {
      assertTrue(Files.exists(dir.resolve(r)), "listed, missing: " + r);
    }
    for (JsonNode p : k.get("patches")) {
      assertTrue(Files.exists(dir.resolve(p.get("path").asText())), "patch " + p);
    }
    assertEquals(
        NAMESPACE,
        k.get("namespace").asText(),
        "the Gateway API and Envoy Gateway resources go to Tollgate's namespace");
    JsonNode gen = k.get("configMapGenerator").get(0);
    assertEquals("replace", gen.get("behavior").asText());
    assertEquals("tollgate.yaml", gen.get("files").get(0).asText());
  }

  /** Only upstream differs from base/tollgate.yaml: no key, injected by Envoy Gateway. */
  @Test
  void configIsTheBaseConfigButForTheUpstreamKey() throws Exception {
    ObjectNode base =
        (ObjectNode) YAML.readTree(Files.readString(k8s.resolve("base/tollgate.yaml")));
    ObjectNode mine = (ObjectNode) YAML.readTree(configYaml());
    assertEquals(YAML.readTree("injected_by: envoy"), mine.get("upstream"));
    base.remove("upstream");
    mine.remove("upstream");
    assertEquals(
        base,
        mine,
        "k8s/envoy-gateway/tollgate.yaml is base/tollgate.yaml but for its upstream section");
  }

  @Test
  void extAuthBodyLimitIsEnvoyYamlsAndFitsTollgatesMessages() throws Exception {
    ExtAuth a = extAuths().get(0);
    assertNotNull(a.bodyToExtAuth(), "the body is sent to the Check (Tollgate counts its tokens)");
    long max = a.bodyToExtAuth().maxRequestBytes();
    assertEquals(
        envoyYamlMaxRequestBytes(),
        max,
        "bodyToExtAuth.maxRequestBytes = envoy/envoy.yaml's max_request_bytes");
    assertTrue(
        max + 64 * 1024 <= config.server().maxInboundMessageBytes(),
        "bodyToExtAuth.maxRequestBytes "
            + max
            + " + 64 KiB for headers > Tollgate's server.max_inbound_message_bytes "
            + config.server().maxInboundMessageBytes());
  }

  @Test
  void listenerBufferHoldsWhatTheCheckAllows() {
    long max = maxRequestBytes();
    Set<String> gateways = apiGateways();
    int covered = 0;
    for (var p : egAll(EnvoyGatewayApi.ClientTrafficPolicy.class)) {
      boolean targetsApi =
          p.spec().targetRefs().stream()
              .anyMatch(t -> t.kind().equals("Gateway") && gateways.contains(t.name()));
      if (!targetsApi) {
        continue;
      }
      covered++;
      assertNotNull(
          p.spec().connection(),
          p.metadata().name() + ": connection.bufferLimit (Envoy Gateway's default is 32 KiB)");
      String quantity = p.spec().connection().bufferLimit();
      // the CRD's pattern for it (connection_types.go); Envoy Gateway's default is 32768 bytes
      assertTrue(
          quantity != null && quantity.matches("[1-9]+[0-9]*([EPTGMK]i|[EPTGMk])?"),
          "bufferLimit " + quantity);
      BigDecimal limit = Quantity.getAmountInBytes(new Quantity(quantity));
      assertTrue(
          limit.compareTo(BigDecimal.valueOf(max)) >= 0,
          p.metadata().name()
              + ": bufferLimit "
              + limit
              + " < bodyToExtAuth.maxRequestBytes "
              + max
              + ": a body the Check allowed is refused by ext_proc's Buffered body");
    }
    assertTrue(covered > 0, "a ClientTrafficPolicy raises the buffer of the Gateway of the API");
  }

  @Test
  void extAuthFailsClosedAndCallsTollgate() {
    ExtAuth a = extAuths().get(0);
    assertNotNull(a.grpc(), "gRPC ext_authz (Tollgate speaks envoy.service.auth.v3 over gRPC)");
    assertTollgateGrpc(a.grpc().backendRefs(), "extAuth");
    assertEquals(
        Boolean.FALSE,
        a.failOpen(),
        "extAuth.failOpen: false, written out: a request Tollgate did not see never reaches the"
            + " upstream (with the key injected by the gateway, it would go unmetered)");
    assertNotNull(
        a.statusOnError(), "statusOnError (Envoy's default is 403, which the SDKs do not retry)");
    assertTrue(a.statusOnError() >= 500, "statusOnError " + a.statusOnError());
    assertNotNull(a.timeout(), "extAuth.timeout (Envoy Gateway's default is 10s)");
    Duration t = EnvoyGatewayApi.duration(a.timeout());
    assertTrue(
        t.compareTo(config.store().deadline()) > 0,
        "extAuth.timeout " + t + " <= store.deadline_ms");
    assertNull(
        a.headersToExtAuth(),
        "every request header in the Check (Tollgate reads authorization and the identity headers)");
  }

  @Test
  void extProcCarriesTheReservationAndNeverBreaksAResponse() {
    ExtProc p = extProcs().get(0);
    assertTollgateGrpc(p.backendRefs(), "extProc");
    assertNotNull(p.metadata(), "extProc.metadata");
    assertTrue(
        p.metadata().accessibleNamespaces() != null
            && p.metadata().accessibleNamespaces().contains(EXT_AUTHZ_NAMESPACE),
        "extProc.metadata.accessibleNamespaces forwards "
            + EXT_AUTHZ_NAMESPACE
            + ": the reservation ticket");
    assertEquals(
        Boolean.TRUE,
        p.failOpen(),
        "extProc.failOpen: accounting never breaks a response already paid for");
    assertNotNull(p.messageTimeout());
    assertTrue(EnvoyGatewayApi.duration(p.messageTimeout()).compareTo(Duration.ZERO) > 0);
    var mode = p.processingMode();
    assertNotNull(mode, "extProc.processingMode (the default sends nothing)");
    assertNotNull(mode.request(), "request headers sent");
    assertEquals(
        BodyMode.BUFFERED,
        mode.request().body(),
        "request body Buffered (stream_options.include_usage is added to it)");
    assertNotNull(mode.response(), "response headers sent");
    assertEquals(
        BodyMode.STREAMED,
        mode.response().body(),
        "response body Streamed (SSE passes chunk by chunk)");
    assertNotEquals(Boolean.TRUE, mode.allowModeOverride());
  }

  /**
   * Envoy Gateway has no ext_proc forward_rules: ext_proc is sent every request header after
   * ext_authz ran. So no Check answer may put the key there (Tollgate: injected_by envoy), and the
   * key comes from Envoy Gateway's credential injection, which runs after ext_proc.
   */
  @Test
  void theUpstreamKeyReachesNeitherTollgateNorExtProc() {
    assertEquals(
        UpstreamConfig.InjectedBy.ENVOY,
        config.upstream().injectedBy(),
        "upstream.injected_by: envoy (with tollgate, the key is in authorization when ext_proc is sent the request headers)");
    assertNull(config.upstream().apiKey(), "Tollgate holds no upstream key");
    var podSpec = deployment().getSpec().getTemplate().getSpec();
    assertTrue(
        podSpec.getVolumes().stream()
            .noneMatch(
                v ->
                    v.getSecret() != null
                        && "tollgate-upstream".equals(v.getSecret().getSecretName())),
        "the upstream key's Secret is not mounted into Tollgate");
    for (HTTPRouteRule rule : apiRules()) {
      List<String> injectors = new ArrayList<>();
      for (HTTPRouteFilter f : rule.getFilters()) {
        if (!"ExtensionRef".equals(f.getType())) {
          continue;
        }
        assertEquals(EG_GROUP, f.getExtensionRef().getGroup());
        assertEquals("HTTPRouteFilter", f.getExtensionRef().getKind());
        var filter =
            (EnvoyGatewayApi.HttpRouteFilter)
                eg.get("HTTPRouteFilter/" + f.getExtensionRef().getName());
        assertNotNull(
            filter, "the route's ExtensionRef " + f.getExtensionRef().getName() + " exists");
        var ci = filter.spec().credentialInjection();
        if (ci != null) {
          assertTrue(
              ci.header() == null || ci.header().equalsIgnoreCase("authorization"),
              "the key goes into authorization");
          assertEquals(
              Boolean.TRUE,
              ci.overwrite(),
              "overwrite: nothing the client sent is kept next to the key");
          assertEquals("Secret", ci.credential().valueRef().kind());
          injectors.add(filter.metadata().name());
        }
      }
      assertEquals(
          1,
          injectors.size(),
          "every route to the API injects the upstream key (HTTPRouteFilter credentialInjection)");
    }
  }

  @Test
  void routesToTheApiAskForUncompressedBodiesAndDoNotCutLongCalls() {
    Duration longest = Duration.ZERO;
    for (HTTPRouteRule rule : apiRules()) {
      List<String> removed = new ArrayList<>();
      rule.getFilters().stream()
          .filter(f -> "RequestHeaderModifier".equals(f.getType()))
          .forEach(f -> removed.addAll(f.getRequestHeaderModifier().getRemove()));
      assertTrue(
          removed.stream().anyMatch("accept-encoding"::equalsIgnoreCase),
          "accept-encoding removed (br / zstd cannot be counted)");
      assertNotNull(rule.getTimeouts(), "an explicit route timeout");
      assertNotNull(
          rule.getTimeouts().getRequest(),
          "timeouts.request (Envoy's default route timeout is 15s)");
      List<String> timeouts = new ArrayList<>(List.of(rule.getTimeouts().getRequest()));
      if (rule.getTimeouts().getBackendRequest() != null) {
        timeouts.add(rule.getTimeouts().getBackendRequest());
      }
      for (String s : timeouts) {
        Duration t = EnvoyGatewayApi.duration(s);
        assertTrue(
            t.isZero() || t.compareTo(SDK_TIMEOUT) >= 0,
            "route timeout " + s + " cuts calls the SDKs wait for");
        longest = t.compareTo(longest) > 0 ? t : longest;
      }
    }
    Set<String> gateways = apiGateways();
    int idle = 0;
    for (var p : egAll(EnvoyGatewayApi.ClientTrafficPolicy.class)) {
      if (p.spec().targetRefs().stream()
          .noneMatch(t -> t.kind().equals("Gateway") && gateways.contains(t.name()))) {
        continue;
      }
      String s =
          p.spec().timeout() == null || p.spec().timeout().http() == null
              ? null
              : p.spec().timeout().http().streamIdleTimeout();
      assertNotNull(
          s,
          p.metadata().name()
              + ": timeout.http.streamIdleTimeout (Envoy's default, 5 minutes, answers 408 to a call still"
              + " thinking)");
      Duration t = EnvoyGatewayApi.duration(s);
      assertTrue(
          t.isZero() || t.compareTo(SDK_TIMEOUT) >= 0,
          p.metadata().name() + ": streamIdleTimeout " + s);
      idle++;
    }
    assertTrue(
        idle > 0, "a ClientTrafficPolicy sets the stream idle timeout of the Gateway of the API");
    assertTrue(
        longest.isZero() || config.server().shutdownGrace().compareTo(longest) >= 0,
        "server.shutdown_grace "
            + config.server().shutdownGrace()
            + " shorter than the route timeout "
            + longest);
  }

  @Test
  void theUpstreamCertificateAndItsNameAreChecked() {
    int checked = 0;
    for (HTTPRouteRule rule : apiRules()) {
      String rewrite =
          rule.getFilters().stream()
              .filter(f -> "URLRewrite".equals(f.getType()))
              .map(f -> f.getUrlRewrite().getHostname())
              .findFirst()
              .orElse(null);
      for (HTTPBackendRef ref : rule.getBackendRefs()) {
        var backend = (EnvoyGatewayApi.Backend) eg.get("Backend/" + ref.getName());
        assertNotNull(backend, "Backend " + ref.getName());
        assertNull(
            backend.spec().tls() != null ? backend.spec().tls().insecureSkipVerify() : null,
            "no insecureSkipVerify");
        for (var ep : backend.spec().endpoints()) {
          assertNotNull(ep.fqdn(), "the external API by its name");
          String host = ep.fqdn().hostname();
          assertEquals(443, ep.fqdn().port());
          assertEquals(host, rewrite, "the Host header is rewritten to " + host);
          List<BackendTLSPolicy> policies =
              all(BackendTLSPolicy.class).stream()
                  .filter(
                      p ->
                          p.getSpec().getTargetRefs().stream()
                              .anyMatch(
                                  t ->
                                      EG_GROUP.equals(t.getGroup())
                                          && "Backend".equals(t.getKind())
                                          && ref.getName().equals(t.getName())))
                  .toList();
          assertEquals(
              1,
              policies.size(),
              "one BackendTLSPolicy for the Backend " + ref.getName() + ": TLS to " + host);
          var v = policies.get(0).getSpec().getValidation();
          assertEquals(
              host,
              v.getHostname(),
              "validation.hostname: the SNI and the name the certificate must carry");
          assertTrue(
              "System".equals(v.getWellKnownCACertificates())
                  || v.getCaCertificateRefs() != null && !v.getCaCertificateRefs().isEmpty(),
              "a CA to verify against");
          if (v.getSubjectAltNames() != null && !v.getSubjectAltNames().isEmpty()) {
            // listed names replace the hostname check: the API's name must be among them
            assertTrue(
                v.getSubjectAltNames().stream().anyMatch(s -> host.equals(s.getHostname())),
                "subjectAltNames " + v.getSubjectAltNames());
          }
          checked++;
        }
      }
    }
    assertTrue(checked > 0);
  }

  @Test
  void policiesAndReferencesResolve() {
    Set<String> routes = new HashSet<>();
    all(HTTPRoute.class).forEach(r -> routes.add(r.getMetadata().getName()));
    Set<String> gateways = new HashSet<>();
    for (Gateway g : all(Gateway.class)) {
      gateways.add(g.getMetadata().getName());
      for (var l : g.getSpec().getListeners()) {
        assertEquals(
            "HTTPS",
            l.getProtocol(),
            g.getMetadata().getName() + ": service keys never cross the network in clear");
        assertEquals("Terminate", l.getTls().getMode());
        assertFalse(l.getTls().getCertificateRefs().isEmpty());
      }
    }
    for (HTTPRoute r : all(HTTPRoute.class)) {
      r.getSpec()
          .getParentRefs()
          .forEach(p -> assertTrue(gateways.contains(p.getName()), "parentRef " + p.getName()));
    }
    for (EnvoyGatewayApi.Resource r : eg.values()) {
      assertNull(
          r.metadata().namespace(), r.metadata().name() + ": the kustomization sets the namespace");
      List<TargetRef> targets = List.of();
      if (r instanceof EnvoyGatewayApi.SecurityPolicy p) {
        targets = p.spec().targetRefs();
      } else if (r instanceof EnvoyGatewayApi.EnvoyExtensionPolicy p) {
        targets = p.spec().targetRefs();
      } else if (r instanceof EnvoyGatewayApi.ClientTrafficPolicy p) {
        targets = p.spec().targetRefs();
      } else if (r instanceof EnvoyGatewayApi.BackendTrafficPolicy p) {
        targets = p.spec().targetRefs();
      }
      for (TargetRef t : targets) {
        Set<String> names = t.kind().equals("Gateway") ? gateways : routes;
        assertTrue(
            names.contains(t.name()), r.metadata().name() + ": target " + t + " does not exist");
      }
    }
  }

  /**
   * The upstream cluster and the clusters to Tollgate above Envoy's 1024 defaults, as
   * envoy/envoy.yaml.
   */
  @Test
  void circuitBreakersAreRaised() {
    List<EnvoyGatewayApi.CircuitBreaker> toTollgate = new ArrayList<>();
    extAuths()
        .forEach(
            a ->
                toTollgate.add(
                    a.grpc().backendSettings() == null
                        ? null
                        : a.grpc().backendSettings().circuitBreaker()));
    extProcs()
        .forEach(
            p ->
                toTollgate.add(
                    p.backendSettings() == null ? null : p.backendSettings().circuitBreaker()));
    for (var cb : toTollgate) {
      assertNotNull(cb, "circuit breakers on the cluster to Tollgate");
      assertTrue(
          cb.maxParallelRequests() >= 16384
              && cb.maxPendingRequests() >= 4096
              && cb.maxConnections() >= 1024,
          cb.toString());
    }
    int upstream = 0;
    for (var p : egAll(EnvoyGatewayApi.BackendTrafficPolicy.class)) {
      if (coversTheApi(p.spec().targetRefs())) {
        var cb = p.spec().circuitBreaker();
        assertNotNull(cb, p.metadata().name());
        assertTrue(
            cb.maxParallelRequests() >= 16384
                && cb.maxPendingRequests() >= 4096
                && cb.maxConnections() >= 16384,
            cb.toString());
        upstream++;
      }
    }
    assertTrue(
        upstream > 0, "a BackendTrafficPolicy raises the upstream cluster's circuit breakers");
  }

  /**
   * gRPC admits this Gateway's proxies only: Envoy Gateway's namespace, its proxy labels, this
   * Gateway's name.
   */
  @Test
  void grpcIsAdmittedOnlyFromThisGatewaysProxies() {
    assertFalse(gatewayPeers.isEmpty(), "the overlay replaces the base's gRPC peers");
    Set<String> gateways = apiGateways();
    for (NetworkPolicyPeer peer : gatewayPeers) {
      assertEquals(
          Map.of("kubernetes.io/metadata.name", PROXY_NAMESPACE),
          peer.getNamespaceSelector().getMatchLabels());
      Map<String, String> pods = peer.getPodSelector().getMatchLabels();
      assertEquals(
          PROXY_LABELS, filter(pods, PROXY_LABELS.keySet()), "Envoy Gateway's proxy labels");
      assertEquals(
          NAMESPACE,
          pods.get(OWNING_GATEWAY_NAMESPACE),
          "the proxies of a Gateway in Tollgate's namespace");
      assertTrue(
          gateways.contains(pods.get(OWNING_GATEWAY_NAME)),
          "the proxies of the Gateway of the API: " + pods);
    }
  }

  /**
   * What {@code kubectl kustomize} builds is what the rules above read; skipped without kubectl.
   */
  @Test
  void kustomizeBuildsWhatTheRulesCheck() throws Exception {
    Process p;
    try {
      p =
          new ProcessBuilder("kubectl", "kustomize", k8s.resolve(DIR).toString())
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
    } catch (IOException e) {
      assumeTrue(false, "kubectl is not installed: " + e.getMessage());
      return;
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), "kubectl kustomize k8s/" + DIR);
    int egResources = 0;
    for (JsonNode d : HelmChartTest.documents(out)) {
      String kind = d.get("kind").asText();
      String name = d.at("/metadata/name").asText();
      if (!kind.equals("Namespace")) {
        assertEquals(NAMESPACE, d.at("/metadata/namespace").asText(), kind + "/" + name);
      }
      switch (kind) {
        case "ConfigMap" ->
            assertEquals(
                Files.readString(k8s.resolve(DIR + "/tollgate.yaml")),
                d.at("/data/tollgate.yaml").asText());
        case "Deployment" ->
            assertEquals(
                YAML.valueToTree(deployment().getSpec().getTemplate().getSpec().getVolumes())
                    .size(),
                d.at("/spec/template/spec/volumes").size(),
                "the Deployment patch as kustomize applies it");
        case "NetworkPolicy" ->
            assertEquals(YAML.valueToTree(gatewayPeers), d.at("/spec/ingress/0/from"));
        default -> {
          if (EnvoyGatewayApi.KINDS.containsKey(kind)) {
            EnvoyGatewayApi.parse(d);
            egResources++;
          }
        }
      }
    }
    assertEquals(eg.size(), egResources);
  }
}
