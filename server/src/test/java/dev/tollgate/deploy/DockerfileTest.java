package dev.tollgate.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.config.ConfigLoader;
import dev.tollgate.config.PersistenceConfig;
import dev.tollgate.config.TollgateConfig;
import dev.tollgate.testsupport.RepoRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * No Docker engine runs here, so the Dockerfile is checked for what can go wrong without one: it
 * copies what the build produces, runs as a non-root user, exposes the configured ports, and starts
 * the JVM with the same flags as the launcher.
 */
class DockerfileTest {
  static Path root() {
    return RepoRoot.get();
  }

  @Test
  void dockerfileMatchesTheBuildTheLauncherAndTheConfig() throws Exception {
    Path root = root();
    String docker = Files.readString(root.resolve("server/Dockerfile"));
    String launcher = Files.readString(root.resolve("tollgate"));
    String pom = Files.readString(root.resolve("server/pom.xml"));
    TollgateConfig config = ConfigLoader.load(root.resolve("server/tollgate.yaml"));

    assertTrue(docker.contains("FROM maven:") && docker.contains("AS build"), "multi-stage build");
    assertTrue(
        Pattern.compile("(?m)^FROM eclipse-temurin:\\d+-jre").matcher(docker).find(),
        "a maintained JRE base");
    Matcher user = Pattern.compile("(?m)^USER (\\d+)").matcher(docker);
    assertTrue(user.find() && !user.group(1).equals("0"), "non-root user");
    assertTrue(
        docker.contains(
            "EXPOSE "
                + config.server().grpcPort()
                + " "
                + config.server().httpPort()
                + " "
                + config.store().hazelcast().port()));
    assertTrue(docker.contains("HEALTHCHECK") && docker.contains("/ready"));
    // the jar the build makes, its lib/ folder (the manifest's class path), and the default config
    String version =
        Pattern.compile("<version>([^<]+)</version>")
            .matcher(pom)
            .results()
            .skip(0)
            .findFirst()
            .orElseThrow()
            .group(1);
    assertTrue(
        docker.contains("tollgate-server-" + version + ".jar"),
        "copies tollgate-server-" + version + ".jar");
    assertTrue(docker.contains("/server/target/lib/"));
    assertTrue(pom.contains("<classpathPrefix>lib/</classpathPrefix>"));
    // every JVM flag of the launcher is in the image's entrypoint
    List<String> flags = new ArrayList<>();
    Matcher m = Pattern.compile("(?m)^\\s+(--add-\\S+ \\S+|-D\\S+)\\s*\\\\?$").matcher(launcher);
    while (m.find()) {
      flags.add(m.group(1));
    }
    assertTrue(flags.size() >= 8, "launcher flags found: " + flags);
    for (String f : flags) {
      String inDocker = "\"" + f.replace(" ", "\", \"") + "\"";
      assertTrue(docker.contains(inDocker), "entrypoint lacks " + f);
    }
    assertEquals(1, Pattern.compile("(?m)^CMD \\[\"serve\"").matcher(docker).results().count());
  }

  /**
   * The image keeps its file database in a volume owned by the runtime user: the image's
   * configuration (server/tollgate.yaml with the Dockerfile's one edit) puts store.persistence.path
   * there, and the directory is declared a VOLUME.
   */
  @Test
  void theImagesFileDatabaseIsInAVolume() throws Exception {
    Path root = root();
    String docker = Files.readString(root.resolve("server/Dockerfile"));
    Matcher volume = Pattern.compile("(?m)^VOLUME \\[\"([^\"]+)\"]\\s*$").matcher(docker);
    assertTrue(volume.find(), "an exec-form VOLUME");
    String data = volume.group(1);
    assertFalse(volume.find(), "one VOLUME");
    Matcher user = Pattern.compile("(?m)^USER (\\d+):(\\d+)").matcher(docker);
    assertTrue(user.find());
    assertTrue(
        docker.contains("mkdir -p " + data)
            && docker.contains("chown " + user.group(1) + ":" + user.group(2) + " " + data),
        data + " is created and owned by the runtime user " + user.group(1));
    assertTrue(
        docker.indexOf("mkdir -p " + data) < docker.indexOf("\nUSER "), "created before USER");
    // the Dockerfile's edit of server/tollgate.yaml, applied here as sed applies it
    Matcher sed =
        Pattern.compile(
                "RUN sed -e 's\\|([^|]+)\\|([^|]+)\\|' \\\\\\s+server/tollgate.yaml > (\\S+)")
            .matcher(docker);
    assertTrue(sed.find(), "the image's configuration is made from server/tollgate.yaml by sed");
    assertTrue(
        docker.contains("COPY --from=build " + sed.group(3) + " /etc/tollgate/tollgate.yaml"),
        "the edited file is the image's configuration");
    String original = Files.readString(root.resolve("server/tollgate.yaml"));
    Matcher line = Pattern.compile("(?m)" + sed.group(1)).matcher(original);
    assertTrue(line.find(), "server/tollgate.yaml has the line the Dockerfile replaces");
    assertFalse(line.find(), "exactly one such line");
    String image = line.replaceAll(Matcher.quoteReplacement(sed.group(2)));
    TollgateConfig config = ConfigLoader.parse(image, "/etc/tollgate/tollgate.yaml", Map.of());
    assertEquals(PersistenceConfig.Type.FILE, config.store().persistence().type());
    assertEquals(Path.of(data), config.store().persistence().path(), "the file database's path");
    // and outside the image the file database stays next to the configuration file
    assertEquals(
        root.resolve("server").resolve(PersistenceConfig.DEFAULT_PATH).toAbsolutePath(),
        ConfigLoader.load(root.resolve("server/tollgate.yaml")).store().persistence().path());
  }

  /**
   * The GC and memory flags are set once, in the ENTRYPOINT: an {@code ENV JAVA_TOOL_OPTIONS} is
   * replaced wholesale by any Deployment that sets the variable (and the JVM then picks SerialGC on
   * a small container, a "client-class machine").
   */
  @Test
  void gcAndMemoryFlagsAreSetOnceInTheEntrypoint() throws Exception {
    String docker = Files.readString(root().resolve("server/Dockerfile"));
    Matcher entry = Pattern.compile("(?ms)^ENTRYPOINT \\[(.*?)\\]\\s*$").matcher(docker);
    assertTrue(entry.find(), "an exec-form ENTRYPOINT");
    String entrypoint = entry.group(1);
    for (String flag :
        List.of(
            "-XX:+UseG1GC",
            "-XX:MaxRAMPercentage=",
            "-XX:MaxDirectMemorySize=",
            "-XX:+ExitOnOutOfMemoryError")) {
      assertTrue(entrypoint.contains("\"" + flag), "ENTRYPOINT sets " + flag);
      assertEquals(
          1,
          Pattern.compile(Pattern.quote(flag)).matcher(docker).results().count(),
          flag + " appears once in the Dockerfile");
    }
    for (String env : List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS")) {
      assertFalse(
          Pattern.compile("(?m)^ENV\\b.*\\b" + env + "\\b").matcher(docker).find(),
          "no ENV " + env + ": the flags have one source");
    }
    for (String other :
        List.of(
            "-Xmx",
            "-Xms",
            "-XX:MaxRAM=",
            "-XX:+UseSerialGC",
            "-XX:+UseParallelGC",
            "-XX:MaxRAMPercentage=7",
            "-XX:MaxRAMPercentage=8",
            "-XX:MaxRAMPercentage=9")) {
      assertFalse(
          docker.contains(other),
          other + ": the heap must leave room for direct buffers and Hazelcast");
    }
  }
}
