package dev.tollgate.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.config.ConfigLoader;
import dev.tollgate.config.TollgateConfig;
import dev.tollgate.testsupport.RepoRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
