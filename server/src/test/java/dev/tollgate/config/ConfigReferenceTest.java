package dev.tollgate.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.auth.Identity;
import dev.tollgate.auth.IdentityResolver;
import dev.tollgate.auth.VerifiedAssertion;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The README's configuration reference and the default tollgate.yaml cannot drift from the loader.
 */
class ConfigReferenceTest {
  @Test
  void readmeDocumentsEveryKeyTheLoaderAccepts() throws Exception {
    String readme = Files.readString(ConfigLoaderTest.repoFile("README.md"));
    String reference = readme.substring(readme.indexOf("| key | meaning | default |"));
    reference = reference.substring(0, reference.indexOf("\n\n"));
    List<String> missing = new ArrayList<>();
    for (Map.Entry<String, Set<String>> e : ConfigLoader.SCHEMA.entrySet()) {
      for (String key : e.getValue()) {
        String path = e.getKey().isEmpty() ? key : e.getKey() + "." + key;
        boolean section =
            ConfigLoader.SCHEMA.keySet().stream()
                .anyMatch(
                    s ->
                        s.equals(path)
                            || s.equals(path + ".NAME")
                            || s.equals(path + "[]")
                            || s.startsWith(path + "."));
        if (!section && !reference.contains("`" + path + "`")) {
          missing.add(path);
        }
      }
    }
    assertTrue(missing.isEmpty(), "README configuration reference lacks " + missing);
    for (String line : reference.split("\n")) {
      if (line.startsWith("| `")) {
        String key = line.substring(3, line.indexOf('`', 3));
        String section = key.contains(".") ? key.substring(0, key.lastIndexOf('.')) : "";
        String leaf = key.substring(key.lastIndexOf('.') + 1);
        assertTrue(
            ConfigLoader.SCHEMA.getOrDefault(section, Set.of()).contains(leaf),
            "README documents '" + key + "', which the loader does not accept");
      }
    }
  }

  @Test
  void theDefaultConfigShowsEverySection() throws Exception {
    String yaml = Files.readString(ConfigLoaderTest.repoFile("server/tollgate.yaml"));
    for (String top : ConfigLoader.SCHEMA.get("")) {
      assertTrue(
          yaml.contains("\n" + top + ":")
              || yaml.contains("# " + top + ":")
              || yaml.startsWith(top + ":"),
          "server/tollgate.yaml shows '" + top + "'");
    }
  }

  @Test
  void shippedConfigsPutVerifiedSourcesBeforeClientHeaders() throws Exception {
    assertTrue(
        Files.readString(ConfigLoaderTest.repoFile("server/tollgate.yaml")).contains("jwt:sub"),
        "the reference config shows the JWT source (envoy/envoy-jwt.yaml)");
    for (String file : new String[] {"server/tollgate.yaml", "k8s/base/tollgate.yaml"}) {
      var tree =
          new com.fasterxml.jackson.databind.ObjectMapper(
                  new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
              .readTree(ConfigLoaderTest.repoFile(file).toFile());
      List<IdentitySource> sources = new ArrayList<>();
      tree.path("identity")
          .path("sources")
          .forEach(n -> sources.add(IdentitySource.parse(n.asText())));
      assertFalse(sources.isEmpty(), file);
      assertVerifiedFirst(file, sources);
      // a header never overrides a verified claim (where the deployment can verify one)
      if (sources.stream().anyMatch(s -> s instanceof IdentitySource.JwtClaim)) {
        Identity who =
            new IdentityResolver(new IdentityConfig(sources, "anonymous", List.of(), null))
                .resolve(new HeaderAndJwt("mallory", "alice"));
        assertEquals("alice", who.user(), file);
      }
    }
    TollgateConfig defaults =
        ConfigLoader.parse(
            "upstream: { api_key: x }\nkeys: [ { name: a, sha256: \""
                + "a".repeat(64)
                + "\", tier: t } ]\n"
                + "models: { m: {} }\ntiers: { t: { models: [m] } }\n",
            "defaults.yaml",
            Map.of());
    assertVerifiedFirst("defaults", defaults.identity().sources());
  }

  private static void assertVerifiedFirst(String where, List<IdentitySource> sources) {
    boolean sawUnverified = false;
    for (IdentitySource s : sources) {
      boolean verified =
          s instanceof IdentitySource.JwtClaim || s instanceof IdentitySource.Assertion;
      assertFalse(verified && sawUnverified, where + ": " + sources);
      sawUnverified |= !verified;
    }
  }

  /** A request with an {@code x-on-behalf-of} header and a verified JWT {@code sub}. */
  private record HeaderAndJwt(String header, String sub) implements IdentityResolver.RequestView {
    @Override
    public String header(String name) {
      return "x-on-behalf-of".equals(name) ? header : null;
    }

    @Override
    public Object jwtClaim(String claim) {
      return "sub".equals(claim) ? sub : null;
    }

    @Override
    public String bodyField(String field) {
      return null;
    }

    @Override
    public VerifiedAssertion assertion() {
      return null;
    }
  }
}
