package dev.tollgate.testsupport;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import org.junit.jupiter.api.Test;

class RepoRootTest {
  @Test
  void theBuildSaysWhereTheRepositoryIs() {
    assertTrue(Files.isRegularFile(RepoRoot.resolve("test-harness/support/pom.xml")));
    assertTrue(Files.isDirectory(RepoRoot.get().resolve("envoy")));
  }
}
