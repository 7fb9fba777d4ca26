package dev.tollgate.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.google.protobuf.util.JsonFormat;
import dev.tollgate.config.ConfigLoader;
import dev.tollgate.config.TollgateConfig;
import dev.tollgate.hazelcast.HazelcastSetup;
import dev.tollgate.testsupport.RepoRoot;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.fabric8.istio.api.networking.v1alpha3.EnvoyFilter;
import io.fabric8.istio.api.networking.v1beta1.DestinationRule;
import io.fabric8.istio.api.networking.v1beta1.Gateway;
import io.fabric8.istio.api.networking.v1beta1.ServiceEntry;
import io.fabric8.istio.api.networking.v1beta1.VirtualService;
import io.fabric8.istio.api.security.v1beta1.AuthorizationPolicy;
import io.fabric8.istio.api.security.v1beta1.PeerAuthentication;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Every manifest in {@code k8s/} loads into the typed Kubernetes / Istio / Prometheus Operator
 * model of its kind with no unknown field, and the manifests agree with each other and with
 * Tollgate's configuration. The rules run over one resource set: here the files of {@code k8s/}
 * (the overlays' patches kept apart), in {@link HelmChartTest} the Helm chart's renders (subclasses
 * override {@link #loadManifests()}, {@link #configYaml()}, {@link #istio()} and {@link
 * #meshedDeployment()}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KubernetesManifestsTest {
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Set<String> NOT_RESOURCES =
      Set.of("kustomization.yaml", "tollgate.yaml", "mesh-config.yaml");

  /** The Kustomize directories of k8s/ whose files are resources. */
  static final List<String> KUSTOMIZATIONS =
      List.of("base", "istio", "monitoring/base", "monitoring/istio");

  /** The sidecar agent's port: probes and Istio's merged metrics, never redirected to the proxy. */
  static final int ISTIO_AGENT_PORT = 15020;

  /**
   * Tollgate's namespace: the manifests, tollgate.yaml's service_dns and the Istio principals name
   * it.
   */
  static final String NAMESPACE = "tollgate";

  Path k8s;
  final Map<String, HasMetadata> resources = new LinkedHashMap<>();

  /** The Istio overlay's strategic-merge patches (partial resources), by kind/name. */
  final Map<String, HasMetadata> patches = new LinkedHashMap<>();

  /**
   * Every NetworkPolicy peer list the overlays put in place of a rule's {@code from} (JSON 6902
   * patches).
   */
  final List<List<NetworkPolicyPeer>> patchedPeers = new ArrayList<>();

  /** Every NetworkPolicy rule the overlays add (JSON 6902 patches). */
  final List<NetworkPolicyIngressRule> patchedRules = new ArrayList<>();

  /**
   * The Istio egress gateway's pods and service account, as Istio's default installation names
   * them.
   */
  private static final Map<String, String> GATEWAY_LABELS = Map.of("istio", "egressgateway");

  private static final String GATEWAY_PRINCIPAL =
      "cluster.local/ns/istio-system/sa/istio-egressgateway-service-account";

  /**
   * The OpenAI SDKs wait this long for a non-streaming answer; nothing on the path may cut a call
   * sooner.
   */
  private static final Duration SDK_TIMEOUT = Duration.ofSeconds(600);

  TollgateConfig config;
  private static final String POD_IP = "10.244.1.7";

  static Path k8sDir() {
    return RepoRoot.resolve("k8s");
  }

  @BeforeAll
  void load() throws Exception {
    k8s = k8sDir();
    loadManifests();
    // the ConfigMap's tollgate.yaml, with the Secret mounts replaced by readable files
    Path dir = Files.createTempDirectory("k8s-config");
    Files.writeString(dir.resolve("openai-api-key"), "sk-test");
    Files.writeString(
        dir.resolve("keys.yaml"),
        "- { name: web, sha256: \"" + "a".repeat(64) + "\", tier: default, role: service }\n");
    String yaml = configYaml();
    for (VolumeMount m :
        deployment().getSpec().getTemplate().getSpec().getContainers().get(0).getVolumeMounts()) {
      if (m.getMountPath().startsWith("/run/secrets/")) {
        assertTrue(
            yaml.contains(m.getMountPath() + "/"),
            "tollgate.yaml reads from the mount " + m.getMountPath());
        yaml = yaml.replace(m.getMountPath() + "/", dir + "/");
      }
    }
    config = ConfigLoader.parse(yaml, "k8s/base/tollgate.yaml", Map.of("POD_IP", POD_IP));
  }

  /** The resource set the rules check: the files of k8s/, each overlay's patches kept apart. */
  void loadManifests() throws Exception {
    for (String dir : KUSTOMIZATIONS) {
      try (var files = Files.list(k8s.resolve(dir))) {
        for (Path f : files.sorted().toList()) {
          if (!f.toString().endsWith(".yaml")
              || NOT_RESOURCES.contains(f.getFileName().toString())) {
            continue;
          }
          add(f.toString(), YAML.readValue(f.toFile(), KubernetesResource.class));
        }
      }
    }
    for (String dir : List.of("istio/patches", "monitoring/istio/patches")) {
      try (var files = Files.list(k8s.resolve(dir))) {
        for (Path f : files.sorted().toList()) {
          JsonNode n = YAML.readTree(f.toFile());
          if (n.isArray()) {
            for (JsonNode op : n) {
              String path = op.path("path").asText();
              if (path.matches("/spec/ingress/\\d+/from")) {
                patchedPeers.add(
                    List.of(YAML.treeToValue(op.get("value"), NetworkPolicyPeer[].class)));
              } else if (path.matches("/spec/ingress/(\\d+|-)")) {
                patchedRules.add(YAML.treeToValue(op.get("value"), NetworkPolicyIngressRule.class));
              } else {
                throw new AssertionError(f + ": a patch the rules do not check: " + path);
              }
            }
            continue;
          }
          HasMetadata h = (HasMetadata) YAML.treeToValue(n, KubernetesResource.class);
          patches.put(h.getKind() + "/" + h.getMetadata().getName(), h);
        }
      }
    }
  }

  /** Adds one resource: a kind the typed models know, with no field they do not. */
  void add(String source, KubernetesResource r) throws Exception {
    assertFalse(
        r instanceof GenericKubernetesResource, source + ": kind not known to the typed models");
    List<String> unknown = new ArrayList<>();
    unknownFields(r, "", unknown, new IdentityHashMap<>());
    assertTrue(unknown.isEmpty(), source + ": unknown fields " + unknown);
    HasMetadata h = (HasMetadata) r;
    assertNull(
        resources.put(h.getKind() + "/" + h.getMetadata().getName(), h),
        source + ": a second " + h.getKind() + "/" + h.getMetadata().getName());
  }

  /** Tollgate's configuration as the ConfigMap carries it. */
  String configYaml() throws Exception {
    return Files.readString(k8s.resolve("base/tollgate.yaml"));
  }

  /** Whether the set has the Istio resources (the mesh, the gateway's filters, the sidecar). */
  boolean istio() {
    return true;
  }

  /** Tollgate's Deployment as it runs in the mesh: here the Istio overlay's patch. */
  Deployment meshedDeployment() {
    return (Deployment) patches.get("Deployment/tollgate");
  }

  /** Every NetworkPolicy ingress rule of the set, the overlays' added rules included. */
  List<NetworkPolicyIngressRule> ingressRules() {
    List<NetworkPolicyIngressRule> rules = new ArrayList<>(patchedRules);
    all(NetworkPolicy.class).forEach(np -> rules.addAll(np.getSpec().getIngress()));
    return rules;
  }

  /** Walks getters; any non-empty additionalProperties is a field the schema does not know. */
  static void unknownFields(
      Object o, String path, List<String> out, IdentityHashMap<Object, Boolean> seen)
      throws Exception {
    if (o == null
        || seen.put(o, true) != null
        || o instanceof String
        || o instanceof Number
        || o instanceof Boolean
        || o.getClass().isEnum()) {
      return;
    }
    if (o instanceof Collection<?> c) {
      int i = 0;
      for (Object x : c) {
        unknownFields(x, path + "[" + i++ + "]", out, seen);
      }
      return;
    }
    if (o instanceof Map<?, ?>) {
      return; // free-form maps (labels, annotations, EnvoyFilter patch values) are data
    }
    if (!o.getClass().getPackageName().startsWith("io.fabric8")) {
      return;
    }
    for (Method m : o.getClass().getMethods()) {
      if (m.getParameterCount() != 0
          || !m.getName().startsWith("get")
          || m.getName().equals("getClass")) {
        continue;
      }
      Object v = m.invoke(o);
      if (m.getName().equals("getAdditionalProperties")) {
        if (v instanceof Map<?, ?> map && !map.isEmpty()) {
          out.add(path + ": " + map.keySet());
        }
        continue;
      }
      unknownFields(v, path + "." + m.getName().substring(3), out, seen);
    }
  }

  @SuppressWarnings("unchecked")
  <T> T get(Class<T> type, String name) {
    HasMetadata r = resources.get(type.getSimpleName() + "/" + name);
    assertNotNull(r, type.getSimpleName() + "/" + name + " is missing");
    return (T) r;
  }

  Deployment deployment() {
    return get(Deployment.class, "tollgate");
  }

  Map<String, Integer> containerPorts() {
    return deployment().getSpec().getTemplate().getSpec().getContainers().get(0).getPorts().stream()
        .collect(Collectors.toMap(ContainerPort::getName, ContainerPort::getContainerPort));
  }

  @Test
  void kustomizationsListFilesThatExist() throws Exception {
    for (String dir : KUSTOMIZATIONS) {
      JsonNode k = YAML.readTree(k8s.resolve(dir + "/kustomization.yaml").toFile());
      assertEquals("Kustomization", k.get("kind").asText());
      for (JsonNode r : k.get("resources")) {
        assertTrue(
            Files.exists(k8s.resolve(dir).resolve(r.asText())), dir + ": resource " + r.asText());
      }
      for (JsonNode g : k.path("configMapGenerator")) {
        for (JsonNode f : g.get("files")) {
          assertTrue(
              Files.exists(k8s.resolve(dir).resolve(f.asText())),
              dir + ": generator file " + f.asText());
        }
      }
    }
    for (String dir : List.of("istio", "monitoring/istio")) {
      for (JsonNode patch :
          YAML.readTree(k8s.resolve(dir + "/kustomization.yaml").toFile()).path("patches")) {
        assertTrue(
            Files.exists(k8s.resolve(dir).resolve(patch.get("path").asText())),
            dir + ": patch " + patch);
      }
    }
    try (var files = Files.list(k8s.resolve("base"))) {
      Set<String> listed = new java.util.HashSet<>();
      YAML.readTree(k8s.resolve("base/kustomization.yaml").toFile())
          .get("resources")
          .forEach(r -> listed.add(r.asText()));
      for (Path f : files.toList()) {
        String n = f.getFileName().toString();
        assertTrue(
            NOT_RESOURCES.contains(n) || listed.contains(n),
            n + " is not listed in base/kustomization.yaml");
      }
    }
  }

  @Test
  void deploymentIsProductionShaped() {
    Deployment d = deployment();
    var spec = d.getSpec().getTemplate().getSpec();
    var c = spec.getContainers().get(0);
    assertEquals(3, d.getSpec().getReplicas());
    assertEquals(
        d.getSpec().getSelector().getMatchLabels(),
        filter(
            d.getSpec().getTemplate().getMetadata().getLabels(),
            d.getSpec().getSelector().getMatchLabels().keySet()));
    assertTrue(spec.getSecurityContext().getRunAsNonRoot());
    assertTrue(c.getSecurityContext().getReadOnlyRootFilesystem());
    assertFalse(c.getSecurityContext().getAllowPrivilegeEscalation());
    assertEquals(List.of("ALL"), c.getSecurityContext().getCapabilities().getDrop());
    assertEquals("/ready", c.getReadinessProbe().getHttpGet().getPath());
    assertEquals(config.server().grpcPort(), c.getLivenessProbe().getGrpc().getPort());
    assertNotNull(c.getResources().getRequests().get("cpu"));
    assertNotNull(c.getResources().getLimits().get("memory"));
    assertFalse(spec.getTopologySpreadConstraints().isEmpty());
    long drain = config.server().shutdownGrace().toSeconds() + 5;
    assertTrue(
        spec.getTerminationGracePeriodSeconds() > drain,
        "termination grace longer than preStop + drain");
    assertEquals(
        "/etc/tollgate/tollgate.yaml", c.getArgs().get(c.getArgs().indexOf("--config") + 1));
    assertTrue(
        spec.getVolumes().stream()
            .anyMatch(
                v ->
                    v.getConfigMap() != null
                        && v.getConfigMap().getName().equals("tollgate-config")),
        "the generated ConfigMap is mounted");
    assertEquals("tollgate", spec.getServiceAccountName());
    get(ServiceAccount.class, "tollgate");
  }

  @Test
  void portsAreNamedAndAgreeWithTollgateYaml() {
    Map<String, Integer> ports = containerPorts();
    assertEquals(config.server().grpcPort(), ports.get("grpc"));
    assertEquals(config.server().httpPort(), ports.get("http"));
    assertEquals(config.store().hazelcast().port(), ports.get("hazelcast"));
    Map<String, String> podLabels = deployment().getSpec().getTemplate().getMetadata().getLabels();
    for (String name : List.of("tollgate", "tollgate-hz")) {
      Service s = get(Service.class, name);
      assertEquals(
          s.getSpec().getSelector(),
          filter(podLabels, s.getSpec().getSelector().keySet()),
          name + " selects the pods");
      for (ServicePort p : s.getSpec().getPorts()) {
        assertNotNull(p.getName(), name + ": ports are named");
        assertTrue(
            ports.containsKey(p.getTargetPort().getStrVal()),
            name + ": target port " + p.getTargetPort());
        assertEquals(
            ports.get(p.getTargetPort().getStrVal()),
            p.getPort(),
            name + ": same number outside and in");
      }
    }
    Service grpc = get(Service.class, "tollgate");
    assertEquals(
        "grpc",
        grpc.getSpec().getPorts().get(0).getName(),
        "Istio needs the port named grpc (HTTP/2)");
    Service hz = get(Service.class, "tollgate-hz");
    assertEquals("None", hz.getSpec().getClusterIP());
    assertTrue(hz.getSpec().getPublishNotReadyAddresses());
    assertTrue(
        config.store().hazelcast().kubernetes().serviceDns().startsWith("tollgate-hz.tollgate.svc"),
        "service_dns names the headless Service");
  }

  @Test
  void hazelcastListensOnThePodIpOnlyAndOnlyTollgatePodsReachIt() {
    var c = deployment().getSpec().getTemplate().getSpec().getContainers().get(0);
    var podIp =
        c.getEnv().stream().filter(e -> e.getName().equals("POD_IP")).findFirst().orElseThrow();
    assertEquals("status.podIP", podIp.getValueFrom().getFieldRef().getFieldPath());
    assertEquals(
        POD_IP,
        config.store().hazelcast().bindInterface(),
        "store.hazelcast.interface is \"${POD_IP}\"");
    NetworkPolicy np = get(NetworkPolicy.class, "tollgate");
    var hazelcastRules =
        np.getSpec().getIngress().stream()
            .filter(
                r ->
                    r.getPorts().stream()
                        .anyMatch(p -> "hazelcast".equals(p.getPort().getStrVal())))
            .toList();
    assertEquals(1, hazelcastRules.size());
    Map<String, String> podLabels = deployment().getSpec().getTemplate().getMetadata().getLabels();
    for (var peer : hazelcastRules.get(0).getFrom()) {
      assertNull(peer.getNamespaceSelector(), "Hazelcast only from this namespace");
      assertEquals(
          peer.getPodSelector().getMatchLabels(),
          filter(podLabels, peer.getPodSelector().getMatchLabels().keySet()),
          "Hazelcast only from Tollgate pods");
    }
  }

  @Test
  void policiesSelectTheRightPodsAndPorts() {
    Map<String, String> podLabels = deployment().getSpec().getTemplate().getMetadata().getLabels();
    PodDisruptionBudget pdb = get(PodDisruptionBudget.class, "tollgate");
    assertEquals(
        pdb.getSpec().getSelector().getMatchLabels(),
        filter(podLabels, pdb.getSpec().getSelector().getMatchLabels().keySet()));
    NetworkPolicy np = get(NetworkPolicy.class, "tollgate");
    assertEquals(
        np.getSpec().getPodSelector().getMatchLabels(),
        filter(podLabels, np.getSpec().getPodSelector().getMatchLabels().keySet()));
    Set<String> named = containerPorts().keySet();
    // named container ports, or in the mesh the sidecar agent's (merged metrics), which the pod
    // does not name
    ingressRules()
        .forEach(
            rule ->
                rule.getPorts()
                    .forEach(
                        p ->
                            assertTrue(
                                named.contains(p.getPort().getStrVal())
                                    || istio()
                                        && Integer.valueOf(ISTIO_AGENT_PORT)
                                            .equals(p.getPort().getIntVal()),
                                "network policy port " + p.getPort())));
    RoleBinding rb = get(RoleBinding.class, "tollgate-discovery");
    get(Role.class, rb.getRoleRef().getName());
    assertEquals("tollgate", rb.getSubjects().get(0).getName());
  }

  @Test
  void istioOverlayIsWiredToTollgate() throws Exception {
    assumeTrue(istio(), "no Istio resources");
    JsonNode mesh = YAML.readTree(k8s.resolve("istio/mesh-config.yaml").toFile());
    JsonNode provider = mesh.at("/spec/meshConfig/extensionProviders/0");
    JsonNode authz = provider.get("envoyExtAuthzGrpc");
    assertEquals("tollgate.tollgate.svc.cluster.local", authz.get("service").asText());
    assertEquals(config.server().grpcPort(), authz.get("port").asInt());
    assertTrue(authz.at("/includeRequestBodyInCheck/packAsBytes").asBoolean());
    assertTrue(
        authz.at("/includeRequestBodyInCheck/maxRequestBytes").asInt() + 64 * 1024
            <= config.server().maxInboundMessageBytes());
    double timeout = Double.parseDouble(authz.get("timeout").asText().replace("s", ""));
    assertTrue(timeout * 1000 > config.store().deadline().toMillis());

    AuthorizationPolicy ap = get(AuthorizationPolicy.class, "tollgate-ext-authz");
    assertEquals("CUSTOM", ap.getSpec().getAction().name());
    var detail =
        (io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicyProvider)
            ap.getSpec().getActionDetail();
    assertEquals(provider.get("name").asText(), detail.getProvider().getName());

    EnvoyFilter ef = get(EnvoyFilter.class, "tollgate-ext-proc");
    var patch = ef.getSpec().getConfigPatches().get(0);
    assertEquals("INSERT_BEFORE", patch.getPatch().getOperation().name());
    assertEquals("GATEWAY", patch.getMatch().getContext().name());
    var listener =
        (io.fabric8.istio.api.api.networking.v1alpha3.EnvoyFilterEnvoyConfigObjectMatchListener)
            patch.getMatch().getObjectTypes();
    assertEquals(
        "envoy.filters.http.router",
        listener.getListener().getFilterChain().getFilter().getSubFilter().getName());
    JsonNode typed =
        YAML.readTree(YAML.writeValueAsString(ef))
            .at("/spec/configPatches/0/patch/value/typed_config");
    String json = new ObjectMapper().writeValueAsString(typed);
    ExternalProcessor.Builder proc = ExternalProcessor.newBuilder();
    // strict: an unknown field in the patch fails here as it would in Envoy
    JsonFormat.parser()
        .merge(
            json.replace(
                "\"@type\":\"type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor\",",
                ""),
            proc);
    assertEquals(
        "outbound|" + config.server().grpcPort() + "||tollgate.tollgate.svc.cluster.local",
        proc.getGrpcService().getEnvoyGrpc().getClusterName());
    assertTrue(
        proc.getMetadataOptions()
            .getForwardingNamespaces()
            .getUntypedList()
            .contains("envoy.filters.http.ext_authz"));
    // the gateway's ext_authz put the upstream key in authorization before ext_proc runs
    for (String credential : dev.tollgate.envoy.EnvoyBootstrapTest.CREDENTIAL_HEADERS) {
      assertFalse(
          proc.getProcessingMode().getRequestHeaderMode()
                  != io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode
                      .HeaderSendMode.SKIP
              && dev.tollgate.envoy.EnvoyBootstrapTest.forwarded(
                  proc.getForwardRules(), credential),
          "the gateway's ext_proc is sent the " + credential + " header");
    }

    ServiceEntry se = get(ServiceEntry.class, "openai");
    DestinationRule dr = get(DestinationRule.class, "openai-tls");
    assertEquals(se.getSpec().getHosts().get(0), dr.getSpec().getHost());
    assertEquals(
        "api.openai.com",
        dr.getSpec().getTrafficPolicy().getPortLevelSettings().get(0).getTls().getSni());
    VirtualService vs = get(VirtualService.class, "openai-through-egress");
    Gateway gw = get(Gateway.class, "openai-egress");
    assertTrue(vs.getSpec().getGateways().contains(gw.getMetadata().getName()));
  }

  @SuppressWarnings("unchecked")
  <T extends HasMetadata> List<T> all(Class<T> type) {
    return resources.values().stream().filter(type::isInstance).map(r -> (T) r).toList();
  }

  /**
   * Labels every pod in a mesh carries or any pod creator sets to join the mesh: they identify no
   * caller.
   */
  private static final Set<String> MESH_LABELS =
      Set.of(
          "security.istio.io/tlsMode",
          "service.istio.io/canonical-name",
          "service.istio.io/canonical-revision",
          "istio.io/rev",
          "sidecar.istio.io/inject",
          "topology.istio.io/network");

  @Test
  void grpcIsAdmittedOnlyFromNamedPodsInNamedNamespaces() {
    Map<String, Integer> ports = containerPorts();
    int grpc = ports.get("grpc");
    List<List<NetworkPolicyPeer>> grpcPeers = new ArrayList<>(patchedPeers);
    for (NetworkPolicy np : all(NetworkPolicy.class)) {
      assertTrue(
          np.getSpec().getPolicyTypes().contains("Ingress"),
          np.getMetadata().getName() + " restricts ingress");
    }
    for (NetworkPolicyIngressRule rule : ingressRules()) {
      // a rule without ports covers every port, gRPC included
      boolean coversGrpc =
          rule.getPorts().isEmpty()
              || rule.getPorts().stream()
                  .anyMatch(
                      p ->
                          p.getPort() == null
                              || "grpc".equals(p.getPort().getStrVal())
                              || Integer.valueOf(grpc).equals(p.getPort().getIntVal()));
      if (coversGrpc) {
        grpcPeers.add(rule.getFrom());
      }
    }
    assertFalse(grpcPeers.isEmpty(), "some rule admits the gateway to gRPC");
    for (List<NetworkPolicyPeer> peers : grpcPeers) {
      assertFalse(peers.isEmpty(), "a rule without 'from' admits every pod and address to gRPC");
      for (NetworkPolicyPeer peer : peers) {
        assertNull(peer.getIpBlock(), "gRPC by address admits whatever holds it: " + peer);
        // a namespace by its name, which only the API server sets (other namespace labels are set
        // by whoever edits it)
        assertNotNull(
            peer.getNamespaceSelector(),
            "gRPC peer without a namespace: any pod of Tollgate's namespace: " + peer);
        var ns = peer.getNamespaceSelector();
        assertTrue(
            ns.getMatchExpressions() == null || ns.getMatchExpressions().isEmpty(),
            "namespace by name: " + peer);
        assertEquals(
            Set.of("kubernetes.io/metadata.name"),
            ns.getMatchLabels() == null ? Set.of() : ns.getMatchLabels().keySet(),
            "gRPC peer namespace selected by its name only (a whole or label-selected namespace is too wide): "
                + peer);
        // and pods in it by labels that name the caller, not labels every mesh pod carries
        assertNotNull(peer.getPodSelector(), "gRPC peer admits a whole namespace: " + peer);
        var pods = peer.getPodSelector().getMatchLabels();
        assertTrue(pods != null && !pods.isEmpty(), "gRPC peer admits a whole namespace: " + peer);
        for (String k : pods.keySet()) {
          assertFalse(
              MESH_LABELS.contains(k),
              "gRPC peer selects pods by " + k + ", which every meshed pod carries: " + peer);
        }
      }
    }
  }

  @Test
  void istioOverlayAdmitsOnlyTheGatewayByItsMutualTlsIdentity() {
    assumeTrue(istio(), "no Istio resources");
    Map<String, String> podLabels =
        new LinkedHashMap<>(deployment().getSpec().getTemplate().getMetadata().getLabels());
    Deployment sidecar = meshedDeployment();
    assertNotNull(sidecar, "the Istio overlay patches the Deployment");
    var meta = sidecar.getSpec().getTemplate().getMetadata();
    assertEquals(
        "true", meta.getLabels().get("sidecar.istio.io/inject"), "sidecar injected (label)");
    assertEquals(
        "true",
        meta.getAnnotations().get("sidecar.istio.io/inject"),
        "the base's opt-out is overridden");
    podLabels.putAll(meta.getLabels());

    List<PeerAuthentication> strict =
        all(PeerAuthentication.class).stream()
            .filter(
                pa ->
                    "tollgate".equals(pa.getMetadata().getNamespace())
                        && pa.getSpec().getSelector() != null
                        && selects(pa.getSpec().getSelector().getMatchLabels(), podLabels))
            .toList();
    assertFalse(strict.isEmpty(), "a PeerAuthentication selects Tollgate's pods");
    for (PeerAuthentication pa : strict) {
      assertEquals("STRICT", pa.getSpec().getMtls().getMode().name(), pa.getMetadata().getName());
      if (pa.getSpec().getPortLevelMtls() != null) {
        pa.getSpec()
            .getPortLevelMtls()
            .forEach(
                (port, m) ->
                    assertEquals(
                        "STRICT",
                        m.getMode().name(),
                        pa.getMetadata().getName() + ": port " + port));
      }
    }

    List<AuthorizationPolicy> allow =
        all(AuthorizationPolicy.class).stream()
            .filter(
                ap ->
                    "tollgate".equals(ap.getMetadata().getNamespace())
                        && ap.getSpec().getSelector() != null
                        && selects(ap.getSpec().getSelector().getMatchLabels(), podLabels))
            .toList();
    assertFalse(allow.isEmpty(), "an AuthorizationPolicy selects Tollgate's pods");
    String grpcPort = Integer.toString(containerPorts().get("grpc"));
    Set<String> grpcPrincipals = new java.util.HashSet<>();
    for (AuthorizationPolicy ap : allow) {
      assertEquals(
          "ALLOW", ap.getSpec().getAction() == null ? "ALLOW" : ap.getSpec().getAction().name());
      for (var rule : ap.getSpec().getRules()) {
        assertFalse(
            rule.getFrom() == null || rule.getFrom().isEmpty(),
            ap.getMetadata().getName() + ": a rule without 'from' admits anyone");
        assertFalse(
            rule.getTo() == null || rule.getTo().isEmpty(),
            ap.getMetadata().getName() + ": a rule without 'to' covers every port");
        for (var from : rule.getFrom()) {
          var src = from.getSource();
          assertFalse(
              src.getPrincipals() == null || src.getPrincipals().isEmpty(),
              ap.getMetadata().getName()
                  + ": every source names principals (a namespace or address is not an identity)");
          assertTrue(
              src.getPrincipals().stream().noneMatch(p -> p.contains("*")),
              "no wildcard principal: " + src.getPrincipals());
        }
        for (var to : rule.getTo()) {
          List<String> ports = to.getOperation().getPorts();
          assertFalse(
              ports == null || ports.isEmpty(),
              ap.getMetadata().getName() + ": every rule names its ports");
          if (ports.contains(grpcPort)) {
            rule.getFrom().forEach(f -> grpcPrincipals.addAll(f.getSource().getPrincipals()));
          }
        }
      }
    }
    assertEquals(
        Set.of(GATEWAY_PRINCIPAL),
        grpcPrincipals,
        "gRPC only for the egress gateway's service account");
  }

  @Test
  void sidecarsReachTheEgressGatewayOverMutualTls() {
    assumeTrue(istio(), "no Istio resources");
    Set<String> external = externalHosts();
    for (Gateway gw : all(Gateway.class)) {
      for (var server : gw.getSpec().getServers()) {
        if (server.getHosts().stream().noneMatch(external::contains)) {
          continue;
        }
        assertEquals(
            "HTTPS",
            server.getPort().getProtocol(),
            gw.getMetadata().getName() + ": plaintext server for " + server.getHosts());
        assertEquals(
            "ISTIO_MUTUAL",
            server.getTls().getMode().name(),
            gw.getMetadata().getName() + ": " + server.getHosts());
      }
    }
    int hops = 0;
    for (VirtualService vs : all(VirtualService.class)) {
      for (var route : vs.getSpec().getHttp()) {
        for (var dest : route.getRoute()) {
          String host = dest.getDestination().getHost();
          if (!host.startsWith("istio-egressgateway.")) {
            continue;
          }
          hops++;
          long port = dest.getDestination().getPort().getNumber();
          var tls =
              all(DestinationRule.class).stream()
                  .filter(dr -> dr.getSpec().getHost().equals(host))
                  .flatMap(dr -> dr.getSpec().getTrafficPolicy().getPortLevelSettings().stream())
                  .filter(p -> p.getPort().getNumber() == port)
                  .map(p -> p.getTls())
                  .findFirst()
                  .orElse(null);
          assertNotNull(tls, "a DestinationRule sets TLS for " + host + ":" + port);
          assertEquals("ISTIO_MUTUAL", tls.getMode().name(), host + ":" + port);
          assertTrue(
              external.contains(tls.getSni()),
              "SNI names the external host the gateway's filter chain matches");
        }
      }
    }
    assertTrue(hops > 0, "the mesh routes to the egress gateway");
  }

  @Test
  void extProcIsInsertedOnlyInTheFilterChainOfTheExternalApi() throws Exception {
    assumeTrue(istio(), "no Istio resources");
    Set<String> external = externalHosts();
    int inserted = 0;
    for (EnvoyFilter ef : all(EnvoyFilter.class)) {
      JsonNode raw = YAML.readTree(YAML.writeValueAsString(ef)).path("spec").path("configPatches");
      for (int i = 0; i < ef.getSpec().getConfigPatches().size(); i++) {
        if (!raw.get(i)
            .path("patch")
            .path("value")
            .path("name")
            .asText()
            .equals("envoy.filters.http.ext_proc")) {
          continue;
        }
        inserted++;
        var patch = ef.getSpec().getConfigPatches().get(i);
        assertEquals(
            GATEWAY_LABELS,
            ef.getSpec().getWorkloadSelector().getLabels(),
            ef.getMetadata().getName() + ": the gateway only");
        var listener =
            (io.fabric8.istio.api.api.networking.v1alpha3.EnvoyFilterEnvoyConfigObjectMatchListener)
                patch.getMatch().getObjectTypes();
        var chain = listener.getListener().getFilterChain();
        assertNotNull(chain, ef.getMetadata().getName() + ": a filter chain match");
        assertTrue(
            chain.getSni() != null && external.contains(chain.getSni()),
            ef.getMetadata().getName()
                + ": ext_proc scoped to the api.openai.com filter chain (sni), not every HTTP listener");
      }
    }
    assertTrue(inserted > 0, "an EnvoyFilter inserts ext_proc");
  }

  /**
   * ext_proc buffers the whole request body in the gateway's listener buffer (Envoy's default: 1
   * MiB) after ext_authz allowed up to {@code maxRequestBytes}: the listener that serves the
   * external API's Gateway server must hold that much, or a body the Check allowed gets 413.
   */
  @Test
  void gatewayListenerBufferHoldsWhatTheCheckAllows() throws Exception {
    assumeTrue(istio(), "no Istio resources");
    JsonNode mesh = YAML.readTree(k8s.resolve("istio/mesh-config.yaml").toFile());
    long maxRequest =
        mesh.at(
                "/spec/meshConfig/extensionProviders/0/envoyExtAuthzGrpc/includeRequestBodyInCheck/maxRequestBytes")
            .asLong();
    assertTrue(maxRequest > 0);
    // the gateway pod's listener ports behind the Service ports of Istio's default egress gateway
    Map<Long, Integer> targetPorts = Map.of(80L, 8080, 443L, 8443);
    Set<String> external = externalHosts();
    Set<Integer> apiListenerPorts = new java.util.HashSet<>();
    for (Gateway gw : all(Gateway.class)) {
      for (var server : gw.getSpec().getServers()) {
        if (server.getHosts().stream().anyMatch(external::contains)) {
          long number = server.getPort().getNumber();
          apiListenerPorts.add(targetPorts.getOrDefault(number, (int) number));
        }
      }
    }
    assertFalse(apiListenerPorts.isEmpty(), "a Gateway server for the external API");
    Map<Integer, Long> buffers = new java.util.HashMap<>();
    for (EnvoyFilter ef : all(EnvoyFilter.class)) {
      JsonNode raw = YAML.readTree(YAML.writeValueAsString(ef)).path("spec").path("configPatches");
      for (JsonNode patch : raw) {
        JsonNode limit =
            patch.path("patch").path("value").path("per_connection_buffer_limit_bytes");
        if (!patch.path("applyTo").asText().equals("LISTENER") || limit.isMissingNode()) {
          continue;
        }
        assertEquals(
            GATEWAY_LABELS,
            ef.getSpec().getWorkloadSelector().getLabels(),
            ef.getMetadata().getName());
        assertEquals(
            "GATEWAY", patch.path("match").path("context").asText(), ef.getMetadata().getName());
        assertEquals(
            "MERGE", patch.path("patch").path("operation").asText(), ef.getMetadata().getName());
        int port = patch.path("match").path("listener").path("portNumber").asInt();
        assertTrue(
            port > 0,
            ef.getMetadata().getName()
                + ": scoped to one listener port, not every gateway listener");
        buffers.put(port, limit.asLong());
      }
    }
    for (int port : apiListenerPorts) {
      assertTrue(
          buffers.containsKey(port),
          "no EnvoyFilter raises the buffer of gateway listener "
              + port
              + " (Envoy's default is 1 MiB, below maxRequestBytes "
              + maxRequest
              + ")");
      assertTrue(
          buffers.get(port) >= maxRequest,
          "gateway listener "
              + port
              + " buffer "
              + buffers.get(port)
              + " < ext_authz maxRequestBytes "
              + maxRequest);
    }
  }

  @Test
  void routesToTheApiAskForUncompressedBodiesAndDoNotCutLongCalls() throws Exception {
    assumeTrue(istio(), "no Istio resources");
    Set<String> external = externalHosts();
    Duration longest = Duration.ZERO;
    int toApi = 0;
    for (VirtualService vs : all(VirtualService.class)) {
      for (var route : vs.getSpec().getHttp()) {
        boolean api =
            route.getRoute().stream()
                .anyMatch(d -> external.contains(d.getDestination().getHost()));
        boolean gateway =
            route.getRoute().stream()
                .anyMatch(d -> d.getDestination().getHost().startsWith("istio-egressgateway."));
        if (api) {
          toApi++;
          var remove =
              route.getHeaders() == null || route.getHeaders().getRequest() == null
                  ? List.<String>of()
                  : route.getHeaders().getRequest().getRemove();
          assertTrue(
              remove.stream().anyMatch("accept-encoding"::equalsIgnoreCase),
              vs.getMetadata().getName()
                  + ": accept-encoding removed (br / zstd answers cannot be counted)");
        }
        if (api || gateway) {
          assertNotNull(
              route.getTimeout(), vs.getMetadata().getName() + ": an explicit route timeout");
          Duration t = Duration.parse("PT" + route.getTimeout().toUpperCase(Locale.ROOT));
          assertTrue(
              t.isZero() || t.compareTo(SDK_TIMEOUT) >= 0,
              vs.getMetadata().getName() + ": timeout " + t + " cuts calls the SDKs wait for");
          longest = t.compareTo(longest) > 0 ? t : longest;
        }
      }
    }
    assertTrue(toApi > 0, "a route reaches the external API");
    // an idle or stream timeout patched into any proxy must not be shorter either
    for (EnvoyFilter ef : all(EnvoyFilter.class)) {
      List<String> timeouts = new ArrayList<>();
      YAML.readTree(YAML.writeValueAsString(ef))
          .findParents("stream_idle_timeout")
          .forEach(n -> timeouts.add(n.get("stream_idle_timeout").asText()));
      YAML.readTree(YAML.writeValueAsString(ef))
          .findParents("idle_timeout")
          .forEach(n -> timeouts.add(n.get("idle_timeout").asText()));
      for (String t : timeouts) {
        Duration d = Duration.parse("PT" + t.toUpperCase(Locale.ROOT));
        assertTrue(
            d.isZero() || d.compareTo(SDK_TIMEOUT) >= 0,
            ef.getMetadata().getName() + ": idle timeout " + t);
      }
    }
    // a rollout drains for as long as the longest call the routes let through
    assertTrue(
        longest.isZero() || config.server().shutdownGrace().compareTo(longest) >= 0,
        "server.shutdown_grace "
            + config.server().shutdownGrace()
            + " shorter than the route timeout "
            + longest);
  }

  @Test
  void terminationGraceCoversPreStopDrainAndHazelcastLeave() {
    var spec = deployment().getSpec().getTemplate().getSpec();
    Container c = spec.getContainers().get(0);
    List<String> preStopCommand = c.getLifecycle().getPreStop().getExec().getCommand();
    assertEquals("sleep", preStopCommand.get(0));
    long preStop = Long.parseLong(preStopCommand.get(1));
    long hazelcast =
        Long.parseLong(
            HazelcastSetup.memberConfig(config.store().hazelcast(), config.store().deadline())
                .getProperty("hazelcast.graceful.shutdown.max.wait"));
    assertEquals(HazelcastSetup.GRACEFUL_SHUTDOWN_MAX_WAIT.toSeconds(), hazelcast);
    long needed = preStop + config.server().shutdownGrace().toSeconds() + hazelcast;
    assertTrue(
        spec.getTerminationGracePeriodSeconds() >= needed,
        "terminationGracePeriodSeconds "
            + spec.getTerminationGracePeriodSeconds()
            + " < preStop "
            + preStop
            + " + shutdown_grace + Hazelcast "
            + hazelcast);
    assertTrue(
        config.server().shutdownGrace().compareTo(SDK_TIMEOUT) >= 0,
        "a rollout lets a 10-minute call finish");
    // the overlay's sidecar must outlive all of it, and exit within the pod's grace
    if (!istio()) {
      assertFalse(
          deployment()
              .getSpec()
              .getTemplate()
              .getMetadata()
              .getAnnotations()
              .containsKey("proxy.istio.io/config"));
      return;
    }
    Deployment sidecar = meshedDeployment();
    String proxyConfig =
        sidecar.getSpec().getTemplate().getMetadata().getAnnotations().get("proxy.istio.io/config");
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("terminationDrainDuration:\\s*(\\d+)s")
            .matcher(proxyConfig);
    assertTrue(m.find(), "the sidecar's terminationDrainDuration is set (Istio's default is 5s)");
    long drain = Long.parseLong(m.group(1));
    assertTrue(
        drain >= needed && drain < spec.getTerminationGracePeriodSeconds(),
        "terminationDrainDuration " + drain);
    assertTrue(proxyConfig.contains("holdApplicationUntilProxyStarts: true"));
  }

  @Test
  void jvmFlagsComeFromTheImageAndMemoryIsGuaranteed() {
    List<Deployment> deployments = new ArrayList<>(all(Deployment.class));
    patches.values().stream()
        .filter(Deployment.class::isInstance)
        .map(Deployment.class::cast)
        .forEach(deployments::add);
    for (Deployment d : deployments) {
      var podSpec = d.getSpec().getTemplate().getSpec();
      List<Container> containers = podSpec == null ? null : podSpec.getContainers();
      for (Container c : containers == null ? List.<Container>of() : containers) {
        for (var e :
            c.getEnv() == null ? List.<io.fabric8.kubernetes.api.model.EnvVar>of() : c.getEnv()) {
          assertFalse(
              Set.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS")
                  .contains(e.getName()),
              c.getName()
                  + ": "
                  + e.getName()
                  + " would replace or override the image's GC and memory flags");
        }
        if (c.getResources() != null && c.getResources().getLimits() != null) {
          assertEquals(
              c.getResources().getLimits().get("memory"),
              c.getResources().getRequests().get("memory"),
              c.getName() + ": memory request = limit");
        }
      }
    }
    assertNotNull(
        deployment()
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .get(0)
            .getResources()
            .getLimits()
            .get("memory"));
  }

  @Test
  void aHeadlessGrpcServicePublishesOnlyReadyPods() {
    Map<String, String> podLabels = deployment().getSpec().getTemplate().getMetadata().getLabels();
    int headlessGrpc = 0;
    for (Service s : all(Service.class)) {
      boolean grpc =
          s.getSpec().getPorts().stream()
              .anyMatch(p -> "grpc".equals(p.getTargetPort().getStrVal()));
      boolean notReady = Boolean.TRUE.equals(s.getSpec().getPublishNotReadyAddresses());
      assertFalse(
          grpc && notReady,
          s.getMetadata().getName() + ": publishes gRPC on pods that are not ready");
      if (grpc
          && "None".equals(s.getSpec().getClusterIP())
          && selects(s.getSpec().getSelector(), podLabels)) {
        headlessGrpc++;
      }
    }
    assertTrue(
        headlessGrpc > 0,
        "a headless Service for the gRPC port (a plain Envoy's STRICT_DNS sees every pod)");
  }

  @Test
  void tlsOriginationIsScopedToTheGateway() {
    assumeTrue(istio(), "no Istio resources");
    Set<String> external = externalHosts();
    int originating = 0;
    for (DestinationRule dr : all(DestinationRule.class)) {
      var policy = dr.getSpec().getTrafficPolicy();
      List<io.fabric8.istio.api.api.networking.v1alpha3.ClientTLSSettings> tls = new ArrayList<>();
      if (policy != null && policy.getTls() != null) {
        tls.add(policy.getTls());
      }
      if (policy != null && policy.getPortLevelSettings() != null) {
        policy.getPortLevelSettings().stream()
            .filter(p -> p.getTls() != null)
            .forEach(p -> tls.add(p.getTls()));
      }
      boolean originates =
          tls.stream().anyMatch(t -> Set.of("SIMPLE", "MUTUAL").contains(t.getMode().name()));
      if (!originates || !external.contains(dr.getSpec().getHost())) {
        continue;
      }
      originating++;
      assertEquals(
          List.of("."),
          dr.getSpec().getExportTo(),
          dr.getMetadata().getName() + ": not exported beyond the gateway's namespace");
      assertNotNull(
          dr.getSpec().getWorkloadSelector(),
          dr.getMetadata().getName() + ": applies to the gateway only");
      assertEquals(GATEWAY_LABELS, dr.getSpec().getWorkloadSelector().getMatchLabels());
    }
    assertTrue(originating > 0, "a DestinationRule originates TLS to the external API");
  }

  @Test
  void coldStartWaitsForAMajorityOfTheReplicas() {
    int replicas = deployment().getSpec().getReplicas();
    int min = config.store().hazelcast().minClusterSize();
    assertTrue(
        2 * min > replicas && min <= replicas,
        "store.hazelcast.min_cluster_size " + min + " is a majority of " + replicas);
    assertEquals(
        Integer.toString(min),
        HazelcastSetup.memberConfig(config.store().hazelcast(), config.store().deadline())
            .getProperty("hazelcast.initial.min.cluster.size"));
  }

  @Test
  void monitorsScrapeTollgatesMetricsWhereTheyAreAdmitted() {
    List<ServiceMonitor> serviceMonitors = all(ServiceMonitor.class);
    List<PodMonitor> podMonitors = all(PodMonitor.class);
    assumeTrue(!serviceMonitors.isEmpty() || !podMonitors.isEmpty(), "no monitor");
    Map<String, String> podLabels = deployment().getSpec().getTemplate().getMetadata().getLabels();
    int http = config.server().httpPort();
    assertEquals(http, containerPorts().get("http"));
    for (ServiceMonitor sm : serviceMonitors) {
      String name = sm.getMetadata().getName();
      assertEquals(List.of(NAMESPACE), sm.getSpec().getNamespaceSelector().getMatchNames(), name);
      for (var ep : sm.getSpec().getEndpoints()) {
        assertEquals("/metrics", ep.getPath(), name);
        // the named Service port leads to Tollgate's http port
        List<ServicePort> ports =
            all(Service.class).stream()
                .filter(
                    s ->
                        selects(
                            sm.getSpec().getSelector().getMatchLabels(),
                            s.getMetadata().getLabels()))
                .filter(s -> selects(s.getSpec().getSelector(), podLabels))
                .flatMap(s -> s.getSpec().getPorts().stream())
                .filter(p -> ep.getPort().equals(p.getName()))
                .toList();
        assertFalse(
            ports.isEmpty(), name + ": no Service of Tollgate's names the port " + ep.getPort());
        ports.forEach(
            p ->
                assertEquals(
                    "http", p.getTargetPort().getStrVal(), name + ": port " + p.getName()));
      }
      assertAdmitted(new IntOrString("http"), name);
    }
    for (PodMonitor pm : podMonitors) {
      String name = pm.getMetadata().getName();
      assertTrue(
          istio(),
          name
              + ": a PodMonitor scrapes Istio's merged metrics; without a sidecar use the ServiceMonitor");
      assertTrue(
          selects(pm.getSpec().getSelector().getMatchLabels(), podLabels),
          name + " selects Tollgate's pods");
      assertEquals(List.of(NAMESPACE), pm.getSpec().getNamespaceSelector().getMatchNames(), name);
      // the agent merges what the prometheus.io annotations name: Tollgate's /metrics
      var annotations = deployment().getSpec().getTemplate().getMetadata().getAnnotations();
      assertEquals(Integer.toString(http), annotations.get("prometheus.io/port"));
      assertTrue(
          annotations.get("prometheus.io/path") == null
              || "/metrics".equals(annotations.get("prometheus.io/path")));
      for (var ep : pm.getSpec().getPodMetricsEndpoints()) {
        assertEquals("/stats/prometheus", ep.getPath(), name + ": Istio's merged metrics");
        assertTrue(
            containerPorts().containsKey(ep.getPort()),
            name + ": one target per pod, by a port Tollgate's container names");
        var toAgent =
            ep.getRelabelings().stream()
                .filter(r -> "__address__".equals(r.getTargetLabel()))
                .toList();
        assertFalse(toAgent.isEmpty(), name + ": the address is rewritten to the agent's port");
        for (var r : toAgent) {
          assertEquals(List.of("__meta_kubernetes_pod_ip"), r.getSourceLabels());
          assertTrue(
              r.getReplacement().endsWith(":" + ISTIO_AGENT_PORT),
              name + ": " + r.getReplacement());
          for (String ip : List.of("10.244.1.7", "fd00::7")) {
            if (java.util.regex.Pattern.compile(r.getRegex()).matcher(ip).matches()) {
              String address = ip.replaceAll(r.getRegex(), r.getReplacement());
              assertTrue(
                  address.equals(ip + ":" + ISTIO_AGENT_PORT)
                      || address.equals("[" + ip + "]:" + ISTIO_AGENT_PORT),
                  address);
            }
          }
        }
      }
      assertAdmitted(new IntOrString(ISTIO_AGENT_PORT), name);
    }
  }

  /** Some NetworkPolicy rule admits the monitoring namespace, by its name, to the port. */
  private void assertAdmitted(IntOrString port, String monitor) {
    boolean admitted =
        ingressRules().stream()
            .filter(rule -> rule.getPorts().stream().anyMatch(p -> port.equals(p.getPort())))
            .flatMap(rule -> rule.getFrom().stream())
            .anyMatch(
                peer ->
                    peer.getPodSelector() == null
                        && peer.getNamespaceSelector() != null
                        && peer.getNamespaceSelector()
                            .getMatchLabels()
                            .containsKey("kubernetes.io/metadata.name"));
    assertTrue(
        admitted,
        monitor + ": no NetworkPolicy rule admits the monitoring namespace to port " + port);
  }

  private Set<String> externalHosts() {
    Set<String> hosts = new java.util.HashSet<>();
    all(ServiceEntry.class).stream()
        .filter(se -> "MESH_EXTERNAL".equals(se.getSpec().getLocation().name()))
        .forEach(se -> hosts.addAll(se.getSpec().getHosts()));
    assertFalse(hosts.isEmpty());
    return hosts;
  }

  static boolean selects(Map<String, String> selector, Map<String, String> labels) {
    return selector != null
        && !selector.isEmpty()
        && selector.equals(filter(labels, selector.keySet()));
  }

  static Map<String, String> filter(Map<String, String> labels, Set<String> keys) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String k : keys) {
      if (labels.containsKey(k)) {
        m.put(k, labels.get(k));
      }
    }
    return m;
  }
}
