package dev.tollgate.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The repository's root, which the build passes to every test JVM as the system property {@value
 * #PROPERTY} (surefire and failsafe {@code systemPropertyVariables} in the parent pom).
 */
public final class RepoRoot {
  /** The system property that names the repository's root. */
  public static final String PROPERTY = "tollgate.root";

  private RepoRoot() {}

  /** The repository's root; fails when the build did not say where it is. */
  public static Path get() {
    String root = System.getProperty(PROPERTY);
    if (root == null || root.isBlank()) {
      throw new IllegalStateException(
          "system property "
              + PROPERTY
              + " is not set (expected: the repository's root,"
              + " set by the parent pom for surefire and failsafe; set it with -D"
              + PROPERTY
              + "=<dir> elsewhere)");
    }
    Path p = Path.of(root).toAbsolutePath().normalize();
    if (!Files.isDirectory(p.resolve("envoy"))
        || !Files.isRegularFile(p.resolve("server/pom.xml"))) {
      throw new IllegalStateException(
          PROPERTY
              + ": "
              + root
              + " (expected: the repository's root, holding envoy/"
              + " and server/pom.xml)");
    }
    return p;
  }

  /** A file or directory of the repository, by its path from the root. */
  public static Path resolve(String relative) {
    return get().resolve(relative);
  }
}
