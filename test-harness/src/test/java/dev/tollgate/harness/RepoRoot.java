package dev.tollgate.harness;

import java.nio.file.Files;
import java.nio.file.Path;

/** The repository's root (the directory holding {@code envoy/}), from wherever a test runs. */
public final class RepoRoot {
  private RepoRoot() {}

  public static Path find() {
    Path root = Path.of("").toAbsolutePath();
    while (!Files.isDirectory(root.resolve("envoy"))) {
      root = root.getParent();
      if (root == null) {
        throw new IllegalStateException("no envoy/ directory above " + Path.of("").toAbsolutePath());
      }
    }
    return root;
  }
}
