package dev.tollgate.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import dev.tollgate.config.ConfigLoader;
import dev.tollgate.config.PersistenceConfig;
import dev.tollgate.config.TollgateConfig;
import io.fabric8.istio.api.networking.v1alpha3.EnvoyFilter;
import io.fabric8.istio.api.security.v1beta1.AuthorizationPolicy;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The Helm chart {@code k8s/helm/tollgate}: {@code helm lint} is clean; every render loads into the
 * typed models with no unknown field and passes every rule of {@link KubernetesManifestsTest}; and
 * it renders what the Kustomize directories render ({@code kubectl kustomize}, when kubectl is
 * installed), so the two ways of deploying cannot drift apart.
 */
class HelmChartTest {
  /** Labels only the chart sets (release bookkeeping); k8s/ has none of them. */
  private static final Set<String> HELM_LABELS =
      Set.of("app.kubernetes.io/instance", "app.kubernetes.io/managed-by", "helm.sh/chart");

  private static final Path CHART = KubernetesManifestsTest.k8sDir().resolve("helm/tollgate");

  static String render(String namespace, Map<String, String> values) {
    TemplateCommand t = new Helm(CHART).template().withName("tollgate").withNamespace(namespace);
    for (var v : values.entrySet()) {
      t = t.set(v.getKey(), v.getValue());
    }
    return t.call();
  }

  static String render(Map<String, String> values) {
    return render(KubernetesManifestsTest.NAMESPACE, values);
  }

  /** The documents of a multi-document YAML stream, comment-only ones left out. */
  static List<JsonNode> documents(String yaml) throws IOException {
    List<JsonNode> docs = new ArrayList<>();
    try (var it = KubernetesManifestsTest.YAML.readerFor(JsonNode.class).readValues(yaml)) {
      while (it.hasNext()) {
        JsonNode n = (JsonNode) it.next();
        if (n != null && n.isObject() && n.size() > 0) {
          docs.add(n);
        }
      }
    }
    return docs;
  }

  @Test
  void lintIsClean() {
    LintResult r = new Helm(CHART).lint().strict().call();
    assertFalse(r.isFailed(), r.getMessages().toString());
    assertTrue(
        r.getMessages().stream().noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]")),
        r.getMessages().toString());
  }

  @Test
  void chartConfigIsTheBaseConfig() throws IOException {
    assertEquals(
        Files.readString(KubernetesManifestsTest.k8sDir().resolve("base/tollgate.yaml")),
        Files.readString(CHART.resolve("files/tollgate.yaml")),
        "k8s/helm/tollgate/files/tollgate.yaml is a copy of k8s/base/tollgate.yaml");
  }

  @Test
  void valuesHoldNoSecretValues() throws IOException {
    JsonNode values = KubernetesManifestsTest.YAML.readTree(CHART.resolve("values.yaml").toFile());
    assertEquals(Set.of("upstream", "keys", "db"), fieldNames(values.get("secrets")));
    values
        .get("secrets")
        .forEach(
            s ->
                assertTrue(
                    s.asText().matches("[a-z0-9-]+"), "a Secret's name, not its value: " + s));
    String text = Files.readString(CHART.resolve("values.yaml"));
    assertFalse(text.matches("(?s).*\\bsk-[A-Za-z0-9]{8,}.*"), "an API key in values.yaml");
  }

  /** The drift check: the chart's render and the Kustomize build, resource by resource. */
  @Test
  void rendersWhatKustomizeBuilds() throws Exception {
    Map<String, Map<String, String>> cases = new LinkedHashMap<>();
    cases.put("base", Map.of());
    cases.put("istio", Map.of("istio.enabled", "true"));
    cases.put("monitoring/base", Map.of("serviceMonitor.enabled", "true"));
    cases.put(
        "monitoring/istio", Map.of("istio.enabled", "true", "serviceMonitor.enabled", "true"));
    for (var c : cases.entrySet()) {
      String built = kustomize(KubernetesManifestsTest.k8sDir().resolve(c.getKey()));
      Map<String, JsonNode> expected = normalise(documents(built), false);
      Map<String, JsonNode> actual = normalise(documents(render(c.getValue())), true);
      assertEquals(
          expected.keySet(),
          actual.keySet(),
          "resources of k8s/" + c.getKey() + " vs the chart with " + c.getValue());
      for (String key : expected.keySet()) {
        if (!expected.get(key).equals(actual.get(key))) {
          fail(
              "k8s/"
                  + c.getKey()
                  + " vs the chart with "
                  + c.getValue()
                  + ": "
                  + key
                  + " differs\n--- kustomize\n"
                  + KubernetesManifestsTest.YAML.writeValueAsString(expected.get(key))
                  + "--- helm\n"
                  + KubernetesManifestsTest.YAML.writeValueAsString(actual.get(key)));
        }
      }
    }
  }

  /** Resources by kind/namespace/name, without what only one of the tools adds. */
  private static Map<String, JsonNode> normalise(List<JsonNode> docs, boolean helm) {
    Map<String, JsonNode> out = new LinkedHashMap<>();
    for (JsonNode d : docs) {
      String kind = d.get("kind").asText();
      if (!helm && kind.equals("Namespace")) {
        continue; // helm install -n tollgate --create-namespace
      }
      ObjectNode r = d.deepCopy();
      ObjectNode meta = (ObjectNode) r.get("metadata");
      if (!helm && kind.equals("ConfigMap")) {
        meta.put(
            "name",
            meta.get("name")
                .asText()
                .replaceAll("-[a-z0-9]{10}$", "")); // configMapGenerator's hash suffix
      }
      if (helm && meta.get("labels") instanceof ObjectNode labels) {
        HELM_LABELS.forEach(labels::remove);
        if (labels.isEmpty()) {
          meta.remove("labels");
        }
      }
      if (kind.equals("Deployment")) {
        ObjectNode template = (ObjectNode) r.get("spec").get("template");
        if (helm) {
          ((ObjectNode) template.get("metadata").get("annotations"))
              .remove("checksum/config"); // the chart's roll on change
        }
        for (JsonNode v : template.get("spec").get("volumes")) {
          if (v.get("configMap") instanceof ObjectNode cm && !helm) {
            cm.put("name", cm.get("name").asText().replaceAll("-[a-z0-9]{10}$", ""));
          }
        }
      }
      String key = kind + "/" + meta.path("namespace").asText() + "/" + meta.get("name").asText();
      assertTrue(out.put(key, r) == null, "twice: " + key);
    }
    return out;
  }

  /** {@code kubectl kustomize DIR}; the test is skipped where kubectl is not installed. */
  private static String kustomize(Path dir) throws Exception {
    Process p;
    try {
      p =
          new ProcessBuilder("kubectl", "kustomize", dir.toString())
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
    } catch (IOException e) {
      assumeTrue(false, "kubectl is not installed: " + e.getMessage());
      throw e;
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "kubectl kustomize " + dir);
    assertEquals(0, p.exitValue(), "kubectl kustomize " + dir);
    return out;
  }

  @Test
  void minClusterSizeIsAMajorityOfTheReplicas() throws Exception {
    assertTrue(configOf(render(Map.of("replicas", "5"))).contains("\n    min_cluster_size: 3\n"));
    assertTrue(
        configOf(render(Map.of("replicas", "5", "minClusterSize", "4")))
            .contains("\n    min_cluster_size: 4\n"));
    var e =
        assertThrows(
            IllegalStateException.class,
            () -> render(Map.of("replicas", "4", "minClusterSize", "2")));
    assertTrue(e.getMessage().contains("not a majority"), e.getMessage());
  }

  @Test
  void valuesReachTheResources() throws Exception {
    assertEquals(
        "tollgate:7",
        ((Deployment)
                typed(render(Map.of("image.tag", "7"))).stream()
                    .filter(Deployment.class::isInstance)
                    .findFirst()
                    .orElseThrow())
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .get(0)
            .getImage(),
        "a numeric --set tag");
    String out =
        render(
            Map.of(
                "image.repository",
                "registry.example/tollgate",
                "image.tag",
                "1.2.3",
                "resources.memory",
                "2Gi",
                "secrets.upstream",
                "upstream-key",
                "secrets.keys",
                "service-keys",
                "secrets.db",
                "usage-db"));
    Deployment d =
        (Deployment)
            typed(out).stream().filter(Deployment.class::isInstance).findFirst().orElseThrow();
    var c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertEquals("registry.example/tollgate:1.2.3", c.getImage());
    assertEquals("2Gi", c.getResources().getRequests().get("memory").toString());
    assertEquals(
        "2Gi", c.getResources().getLimits().get("memory").toString(), "memory request = limit");
    List<String> secrets =
        d.getSpec().getTemplate().getSpec().getVolumes().stream()
            .filter(v -> v.getSecret() != null)
            .map(v -> v.getSecret().getSecretName())
            .toList();
    assertEquals(List.of("upstream-key", "service-keys", "usage-db"), secrets);
  }

  /**
   * persistence.type none: store.persistence becomes type none and the database's env and Secret
   * go; persistence.jdbcUrl puts the URL in the env; secrets.db names the Secret everywhere.
   */
  @Test
  void persistenceValuesReachTheConfigAndTheDeployment() throws Exception {
    String none = render(Map.of("persistence.type", "none"));
    TollgateConfig off =
        ConfigLoader.parse(
            configOf(none)
                .replaceAll(
                    "/run/secrets/[a-z-]+/", KubernetesManifestsTest.secretFilesDir() + "/"),
            "chart (persistence.type none)",
            Map.of("POD_IP", KubernetesManifestsTest.POD_IP));
    assertEquals(PersistenceConfig.Type.NONE, off.store().persistence().type());
    Deployment d = deploymentOf(none);
    var c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertTrue(c.getEnv().stream().noneMatch(e -> e.getName().startsWith("TOLLGATE_DB_")));
    assertTrue(
        d.getSpec().getTemplate().getSpec().getVolumes().stream()
            .noneMatch(v -> v.getName().equals("db")));

    String url = "jdbc:postgresql://pg.example:6432/usage";
    Deployment given =
        deploymentOf(render(Map.of("persistence.jdbcUrl", url, "secrets.db", "usage-db")));
    var env = given.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv();
    assertEquals(
        url,
        env.stream()
            .filter(e -> e.getName().equals("TOLLGATE_DB_URL"))
            .findFirst()
            .orElseThrow()
            .getValue());
    assertEquals(
        "usage-db",
        env.stream()
            .filter(e -> e.getName().equals("TOLLGATE_DB_USER"))
            .findFirst()
            .orElseThrow()
            .getValueFrom()
            .getSecretKeyRef()
            .getName());
    assertTrue(
        given.getSpec().getTemplate().getSpec().getVolumes().stream()
            .anyMatch(
                v -> v.getSecret() != null && v.getSecret().getSecretName().equals("usage-db")));
    assertThrows(IllegalStateException.class, () -> render(Map.of("persistence.type", "file")));
    assertThrows(
        IllegalStateException.class,
        () -> render(Map.of("persistence.jdbcUrl", "jdbc:mysql://db/tollgate")));
  }

  private static Deployment deploymentOf(String rendered) throws Exception {
    return (Deployment)
        typed(rendered).stream().filter(Deployment.class::isInstance).findFirst().orElseThrow();
  }

  @Test
  void aMisspelledValueIsRefused() {
    var e = assertThrows(IllegalStateException.class, () -> render(Map.of("istio.enable", "true")));
    assertTrue(e.getMessage().contains("schema"), e.getMessage());
    assertThrows(IllegalStateException.class, () -> render(Map.of("replicas", "three")));
  }

  @Test
  void anotherNamespaceIsNamedEverywhere() throws Exception {
    String out = render("quota", Map.of("istio.enabled", "true"));
    assertTrue(
        configOf(out).contains("service_dns: tollgate-hz.quota.svc.cluster.local"),
        "service_dns in the release's namespace");
    List<KubernetesResource> rs = typed(out);
    AuthorizationPolicy callers =
        rs.stream()
            .filter(AuthorizationPolicy.class::isInstance)
            .map(AuthorizationPolicy.class::cast)
            .filter(ap -> ap.getMetadata().getName().equals("tollgate-callers"))
            .findFirst()
            .orElseThrow();
    assertEquals("quota", callers.getMetadata().getNamespace());
    assertEquals(
        List.of("cluster.local/ns/quota/sa/tollgate"),
        callers.getSpec().getRules().get(1).getFrom().get(0).getSource().getPrincipals());
    EnvoyFilter ef =
        rs.stream()
            .filter(EnvoyFilter.class::isInstance)
            .map(EnvoyFilter.class::cast)
            .findFirst()
            .orElseThrow();
    assertTrue(
        KubernetesManifestsTest.YAML
            .writeValueAsString(ef)
            .contains("outbound|50051||tollgate.quota.svc.cluster.local"));
  }

  private static String configOf(String rendered) throws Exception {
    return typed(rendered).stream()
        .filter(ConfigMap.class::isInstance)
        .map(ConfigMap.class::cast)
        .findFirst()
        .orElseThrow()
        .getData()
        .get("tollgate.yaml");
  }

  private static List<KubernetesResource> typed(String rendered) throws Exception {
    List<KubernetesResource> out = new ArrayList<>();
    for (JsonNode d : documents(rendered)) {
      out.add(KubernetesManifestsTest.YAML.treeToValue(d, KubernetesResource.class));
    }
    return out;
  }

  private static Set<String> fieldNames(JsonNode n) {
    Set<String> names = new TreeSet<>();
    n.fieldNames().forEachRemaining(names::add);
    return names;
  }

  /** Every rule of KubernetesManifestsTest over one render of the chart. */
  abstract static class Render extends KubernetesManifestsTest {
    abstract Map<String, String> values();

    @Override
    void loadManifests() throws Exception {
      String out = render(values());
      int i = 0;
      for (JsonNode d : documents(out)) {
        add(
            "helm template " + values() + " #" + i++,
            YAML.treeToValue(d, KubernetesResource.class));
      }
    }

    @Override
    String configYaml() {
      return get(ConfigMap.class, "tollgate-config").getData().get("tollgate.yaml");
    }

    @Override
    boolean istio() {
      return "true".equals(values().get("istio.enabled"));
    }

    @Override
    Deployment meshedDeployment() {
      return deployment();
    }
  }

  @Nested
  class DefaultValues extends Render {
    @Override
    Map<String, String> values() {
      return Map.of();
    }
  }

  @Nested
  class WithServiceMonitor extends Render {
    @Override
    Map<String, String> values() {
      return Map.of("serviceMonitor.enabled", "true");
    }
  }

  @Nested
  class WithoutPersistence extends Render {
    @Override
    Map<String, String> values() {
      return Map.of("persistence.type", "none");
    }

    @Override
    String persistenceType() {
      return "none";
    }
  }

  @Nested
  class WithIstioAndServiceMonitor extends Render {
    @Override
    Map<String, String> values() {
      return Map.of("istio.enabled", "true", "serviceMonitor.enabled", "true");
    }
  }
}
