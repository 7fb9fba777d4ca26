package dev.tollgate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The shared OpenAI fixtures ({@code shared/fixtures/openai}, beside the repository). Found from
 * the system property {@code tollgate.fixtures} (the {@code openai} directory itself), else by
 * walking up from the working directory until an ancestor holds {@code shared/fixtures/openai}.
 */
public final class Fixtures {
  /** System property naming the fixtures/openai directory. */
  public static final String PROPERTY = "tollgate.fixtures";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static Path openai;

  private Fixtures() {}

  /** The {@code fixtures/openai} directory. */
  public static synchronized Path openai() {
    if (openai == null) {
      openai = find();
    }
    return openai;
  }

  /** A file under {@code fixtures/openai}, which must exist. */
  public static Path openai(String relative) {
    Path file = openai().resolve(relative);
    if (!Files.isRegularFile(file)) {
      throw new IllegalStateException("fixture missing: " + file);
    }
    return file;
  }

  /** A JSON fixture under {@code fixtures/openai}. */
  public static JsonNode json(String relative) {
    try {
      return JSON.readTree(openai(relative).toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read fixture " + relative, e);
    }
  }

  /** The bytes of a fixture under {@code fixtures/openai}. */
  public static byte[] bytes(String relative) {
    try {
      return Files.readAllBytes(openai(relative));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read fixture " + relative, e);
    }
  }

  private static Path find() {
    String configured = System.getProperty(PROPERTY);
    if (configured != null && !configured.isBlank()) {
      Path dir = Path.of(configured).toAbsolutePath().normalize();
      if (!Files.isDirectory(dir)) {
        throw new IllegalStateException(
            "-D" + PROPERTY + "=" + configured + " is not a directory (expected shared/fixtures/openai)");
      }
      return dir;
    }
    Path start = Path.of("").toAbsolutePath().normalize();
    for (Path dir = start; dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("shared").resolve("fixtures").resolve("openai");
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException(
        "shared/fixtures/openai not found in "
            + start
            + " or any parent; set -D"
            + PROPERTY
            + "=/path/to/shared/fixtures/openai");
  }

  /** A fixture file by relative path (same as {@link #openai(String)}). */
  public static Path path(String relative) {
    return openai(relative);
  }

  /** The fixtures directory (same as {@link #openai()}). */
  public static Path dir() {
    return openai();
  }
}
