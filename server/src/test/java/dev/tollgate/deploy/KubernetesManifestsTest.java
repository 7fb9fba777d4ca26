package dev.tollgate.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.google.protobuf.util.JsonFormat;
import dev.tollgate.config.ConfigLoader;
import dev.tollgate.config.TollgateConfig;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.fabric8.istio.api.networking.v1alpha3.EnvoyFilter;
import io.fabric8.istio.api.security.v1beta1.AuthorizationPolicy;
import io.fabric8.istio.api.networking.v1beta1.DestinationRule;
import io.fabric8.istio.api.networking.v1beta1.Gateway;
import io.fabric8.istio.api.networking.v1beta1.ServiceEntry;
import io.fabric8.istio.api.networking.v1beta1.VirtualService;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every manifest in {@code k8s/} loads into the typed Kubernetes / Istio model of its kind with no
 * unknown field, and the manifests agree with each other and with Tollgate's configuration.
 */
class KubernetesManifestsTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Set<String> NOT_RESOURCES = Set.of("kustomization.yaml", "tollgate.yaml", "mesh-config.yaml");
  private static Path k8s;
  private static final Map<String, HasMetadata> RESOURCES = new LinkedHashMap<>();
  private static TollgateConfig config;
  private static final String POD_IP = "10.244.1.7";

  @BeforeAll
  static void load() throws Exception {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isDirectory(p.resolve("k8s/base"))) {
      p = p.getParent();
    }
    assertNotNull(p, "k8s/base not found");
    k8s = p.resolve("k8s");
    for (String dir : List.of("base", "istio")) {
      try (var files = Files.list(k8s.resolve(dir))) {
        for (Path f : files.sorted().toList()) {
          if (!f.toString().endsWith(".yaml") || NOT_RESOURCES.contains(f.getFileName().toString())) {
            continue;
          }
          KubernetesResource r = YAML.readValue(f.toFile(), KubernetesResource.class);
          assertFalse(r instanceof GenericKubernetesResource, f + ": kind not known to the typed models");
          List<String> unknown = new ArrayList<>();
          unknownFields(r, "", unknown, new IdentityHashMap<>());
          assertTrue(unknown.isEmpty(), f + ": unknown fields " + unknown);
          HasMetadata h = (HasMetadata) r;
          RESOURCES.put(h.getKind() + "/" + h.getMetadata().getName(), h);
        }
      }
    }
    // the ConfigMap's tollgate.yaml, with the Secret mounts replaced by readable files
    Path dir = Files.createTempDirectory("k8s-config");
    Files.writeString(dir.resolve("openai-api-key"), "sk-test");
    Files.writeString(dir.resolve("keys.yaml"),
        "- { name: web, sha256: \"" + "a".repeat(64) + "\", tier: default, role: service }\n");
    String yaml = Files.readString(k8s.resolve("base/tollgate.yaml"));
    for (VolumeMount m : deployment().getSpec().getTemplate().getSpec().getContainers().get(0).getVolumeMounts()) {
      if (m.getMountPath().startsWith("/run/secrets/")) {
        assertTrue(yaml.contains(m.getMountPath() + "/"), "tollgate.yaml reads from the mount " + m.getMountPath());
        yaml = yaml.replace(m.getMountPath() + "/", dir + "/");
      }
    }
    config = ConfigLoader.parse(yaml, "k8s/base/tollgate.yaml", Map.of("POD_IP", POD_IP));
  }

  /** Walks getters; any non-empty additionalProperties is a field the schema does not know. */
  static void unknownFields(Object o, String path, List<String> out, IdentityHashMap<Object, Boolean> seen) throws Exception {
    if (o == null || seen.put(o, true) != null || o instanceof String || o instanceof Number || o instanceof Boolean
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
      if (m.getParameterCount() != 0 || !m.getName().startsWith("get") || m.getName().equals("getClass")) {
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
  static <T> T get(Class<T> type, String name) {
    HasMetadata r = RESOURCES.get(type.getSimpleName() + "/" + name);
    assertNotNull(r, type.getSimpleName() + "/" + name + " is missing");
    return (T) r;
  }

  static Deployment deployment() {
    return get(Deployment.class, "tollgate");
  }

  static Map<String, Integer> containerPorts() {
    return deployment().getSpec().getTemplate().getSpec().getContainers().get(0).getPorts().stream()
        .collect(Collectors.toMap(ContainerPort::getName, ContainerPort::getContainerPort));
  }

  @Test
  void kustomizationsListFilesThatExist() throws Exception {
    for (String dir : List.of("base", "istio")) {
      JsonNode k = YAML.readTree(k8s.resolve(dir + "/kustomization.yaml").toFile());
      assertEquals("Kustomization", k.get("kind").asText());
      for (JsonNode r : k.get("resources")) {
        assertTrue(Files.exists(k8s.resolve(dir).resolve(r.asText())), dir + ": resource " + r.asText());
      }
      for (JsonNode g : k.path("configMapGenerator")) {
        for (JsonNode f : g.get("files")) {
          assertTrue(Files.exists(k8s.resolve(dir).resolve(f.asText())), dir + ": generator file " + f.asText());
        }
      }
    }
    try (var files = Files.list(k8s.resolve("base"))) {
      Set<String> listed = new java.util.HashSet<>();
      YAML.readTree(k8s.resolve("base/kustomization.yaml").toFile()).get("resources").forEach(r -> listed.add(r.asText()));
      for (Path f : files.toList()) {
        String n = f.getFileName().toString();
        assertTrue(NOT_RESOURCES.contains(n) || listed.contains(n), n + " is not listed in base/kustomization.yaml");
      }
    }
  }

  @Test
  void deploymentIsProductionShaped() {
    Deployment d = deployment();
    var spec = d.getSpec().getTemplate().getSpec();
    var c = spec.getContainers().get(0);
    assertEquals(3, d.getSpec().getReplicas());
    assertEquals(d.getSpec().getSelector().getMatchLabels(),
        filter(d.getSpec().getTemplate().getMetadata().getLabels(), d.getSpec().getSelector().getMatchLabels().keySet()));
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
    assertTrue(spec.getTerminationGracePeriodSeconds() > drain, "termination grace longer than preStop + drain");
    assertEquals("/etc/tollgate/tollgate.yaml", c.getArgs().get(c.getArgs().indexOf("--config") + 1));
    assertTrue(spec.getVolumes().stream().anyMatch(v -> v.getConfigMap() != null
        && v.getConfigMap().getName().equals("tollgate-config")), "the generated ConfigMap is mounted");
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
      assertEquals(s.getSpec().getSelector(), filter(podLabels, s.getSpec().getSelector().keySet()), name + " selects the pods");
      for (ServicePort p : s.getSpec().getPorts()) {
        assertNotNull(p.getName(), name + ": ports are named");
        assertTrue(ports.containsKey(p.getTargetPort().getStrVal()), name + ": target port " + p.getTargetPort());
        assertEquals(ports.get(p.getTargetPort().getStrVal()), p.getPort(), name + ": same number outside and in");
      }
    }
    Service grpc = get(Service.class, "tollgate");
    assertEquals("grpc", grpc.getSpec().getPorts().get(0).getName(), "Istio needs the port named grpc (HTTP/2)");
    Service hz = get(Service.class, "tollgate-hz");
    assertEquals("None", hz.getSpec().getClusterIP());
    assertTrue(hz.getSpec().getPublishNotReadyAddresses());
    assertTrue(config.store().hazelcast().kubernetes().serviceDns().startsWith("tollgate-hz.tollgate.svc"),
        "service_dns names the headless Service");
  }

  @Test
  void hazelcastListensOnThePodIpOnlyAndOnlyTollgatePodsReachIt() {
    var c = deployment().getSpec().getTemplate().getSpec().getContainers().get(0);
    var podIp = c.getEnv().stream().filter(e -> e.getName().equals("POD_IP")).findFirst().orElseThrow();
    assertEquals("status.podIP", podIp.getValueFrom().getFieldRef().getFieldPath());
    assertEquals(POD_IP, config.store().hazelcast().bindInterface(), "store.hazelcast.interface is \"${POD_IP}\"");
    NetworkPolicy np = get(NetworkPolicy.class, "tollgate");
    var hazelcastRules = np.getSpec().getIngress().stream()
        .filter(r -> r.getPorts().stream().anyMatch(p -> "hazelcast".equals(p.getPort().getStrVal()))).toList();
    assertEquals(1, hazelcastRules.size());
    Map<String, String> podLabels = deployment().getSpec().getTemplate().getMetadata().getLabels();
    for (var peer : hazelcastRules.get(0).getFrom()) {
      assertNull(peer.getNamespaceSelector(), "Hazelcast only from this namespace");
      assertEquals(peer.getPodSelector().getMatchLabels(), filter(podLabels, peer.getPodSelector().getMatchLabels().keySet()),
          "Hazelcast only from Tollgate pods");
    }
  }

  @Test
  void policiesSelectTheRightPodsAndPorts() {
    Map<String, String> podLabels = deployment().getSpec().getTemplate().getMetadata().getLabels();
    PodDisruptionBudget pdb = get(PodDisruptionBudget.class, "tollgate");
    assertEquals(pdb.getSpec().getSelector().getMatchLabels(),
        filter(podLabels, pdb.getSpec().getSelector().getMatchLabels().keySet()));
    NetworkPolicy np = get(NetworkPolicy.class, "tollgate");
    assertEquals(np.getSpec().getPodSelector().getMatchLabels(),
        filter(podLabels, np.getSpec().getPodSelector().getMatchLabels().keySet()));
    Set<String> named = containerPorts().keySet();
    np.getSpec().getIngress().forEach(rule -> rule.getPorts().forEach(p ->
        assertTrue(named.contains(p.getPort().getStrVal()), "network policy port " + p.getPort())));
    RoleBinding rb = get(RoleBinding.class, "tollgate-discovery");
    get(Role.class, rb.getRoleRef().getName());
    assertEquals("tollgate", rb.getSubjects().get(0).getName());
  }

  @Test
  void istioOverlayIsWiredToTollgate() throws Exception {
    JsonNode mesh = YAML.readTree(k8s.resolve("istio/mesh-config.yaml").toFile());
    JsonNode provider = mesh.at("/spec/meshConfig/extensionProviders/0");
    JsonNode authz = provider.get("envoyExtAuthzGrpc");
    assertEquals("tollgate.tollgate.svc.cluster.local", authz.get("service").asText());
    assertEquals(config.server().grpcPort(), authz.get("port").asInt());
    assertTrue(authz.at("/includeRequestBodyInCheck/packAsBytes").asBoolean());
    assertTrue(authz.at("/includeRequestBodyInCheck/maxRequestBytes").asInt() + 64 * 1024
        <= config.server().maxInboundMessageBytes());
    double timeout = Double.parseDouble(authz.get("timeout").asText().replace("s", ""));
    assertTrue(timeout * 1000 > config.store().deadline().toMillis());

    AuthorizationPolicy ap = get(AuthorizationPolicy.class, "tollgate-ext-authz");
    assertEquals("CUSTOM", ap.getSpec().getAction().name());
    var detail = (io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicyProvider) ap.getSpec().getActionDetail();
    assertEquals(provider.get("name").asText(), detail.getProvider().getName());

    EnvoyFilter ef = get(EnvoyFilter.class, "tollgate-ext-proc");
    var patch = ef.getSpec().getConfigPatches().get(0);
    assertEquals("INSERT_BEFORE", patch.getPatch().getOperation().name());
    assertEquals("GATEWAY", patch.getMatch().getContext().name());
    var listener = (io.fabric8.istio.api.api.networking.v1alpha3.EnvoyFilterEnvoyConfigObjectMatchListener)
        patch.getMatch().getObjectTypes();
    assertEquals("envoy.filters.http.router", listener.getListener().getFilterChain().getFilter().getSubFilter().getName());
    JsonNode typed = YAML.readTree(k8s.resolve("istio/envoyfilter-ext-proc.yaml").toFile())
        .at("/spec/configPatches/0/patch/value/typed_config");
    String json = new ObjectMapper().writeValueAsString(typed);
    ExternalProcessor.Builder proc = ExternalProcessor.newBuilder();
    // strict: an unknown field in the patch fails here as it would in Envoy
    JsonFormat.parser().merge(json.replace(
        "\"@type\":\"type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor\",", ""), proc);
    assertEquals("outbound|" + config.server().grpcPort() + "||tollgate.tollgate.svc.cluster.local",
        proc.getGrpcService().getEnvoyGrpc().getClusterName());
    assertTrue(proc.getMetadataOptions().getForwardingNamespaces().getUntypedList().contains("envoy.filters.http.ext_authz"));

    ServiceEntry se = get(ServiceEntry.class, "openai");
    DestinationRule dr = get(DestinationRule.class, "openai-tls");
    assertEquals(se.getSpec().getHosts().get(0), dr.getSpec().getHost());
    assertEquals("api.openai.com", dr.getSpec().getTrafficPolicy().getPortLevelSettings().get(0).getTls().getSni());
    VirtualService vs = get(VirtualService.class, "openai-through-egress");
    Gateway gw = get(Gateway.class, "openai-egress");
    assertTrue(vs.getSpec().getGateways().contains(gw.getMetadata().getName()));
  }

  private static Map<String, String> filter(Map<String, String> labels, Set<String> keys) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String k : keys) {
      if (labels.containsKey(k)) {
        m.put(k, labels.get(k));
      }
    }
    return m;
  }
}
