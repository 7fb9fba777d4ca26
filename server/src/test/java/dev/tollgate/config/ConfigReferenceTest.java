package dev.tollgate.config;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The README's configuration reference and the default tollgate.yaml cannot drift from the loader. */
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
        boolean section = ConfigLoader.SCHEMA.keySet().stream().anyMatch(s -> s.equals(path)
            || s.equals(path + ".NAME") || s.equals(path + "[]") || s.startsWith(path + "."));
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
        assertTrue(ConfigLoader.SCHEMA.getOrDefault(section, Set.of()).contains(leaf),
            "README documents '" + key + "', which the loader does not accept");
      }
    }
  }

  @Test
  void theDefaultConfigShowsEverySection() throws Exception {
    String yaml = Files.readString(ConfigLoaderTest.repoFile("server/tollgate.yaml"));
    for (String top : ConfigLoader.SCHEMA.get("")) {
      assertTrue(yaml.contains("\n" + top + ":") || yaml.contains("# " + top + ":") || yaml.startsWith(top + ":"),
          "server/tollgate.yaml shows '" + top + "'");
    }
  }
}
