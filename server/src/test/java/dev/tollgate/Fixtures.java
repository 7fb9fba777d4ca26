package dev.tollgate;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the shared OpenAI fixtures ({@code shared/fixtures/openai}, beside the repository): the
 * {@code tollgate.fixtures} system property, else walking up from the working directory.
 */
public final class Fixtures {
  private Fixtures() {}

  /** The fixtures directory. */
  public static Path dir() {
    String prop = System.getProperty("tollgate.fixtures");
    if (prop != null) {
      return Path.of(prop);
    }
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      for (Path candidate : new Path[] {p.resolve("shared/fixtures/openai"), p.resolve("../shared/fixtures/openai")}) {
        if (Files.isDirectory(candidate)) {
          return candidate.normalize();
        }
      }
    }
    throw new AssertionError("shared/fixtures/openai not found above " + Path.of("").toAbsolutePath()
        + " (set -Dtollgate.fixtures=PATH)");
  }

  /** A fixture file by relative path, e.g. {@code chat_completions/response.json}. */
  public static Path path(String relative) {
    Path p = dir().resolve(relative);
    if (!Files.exists(p)) {
      throw new AssertionError("fixture missing: " + p);
    }
    return p;
  }
}
