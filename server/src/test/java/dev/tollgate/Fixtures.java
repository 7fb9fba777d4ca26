package dev.tollgate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The OpenAI fixtures: test resources of this module ({@code
 * server/src/test/resources/fixtures/openai}, {@code README.md} there says where each file comes
 * from), found on the test classpath.
 */
public final class Fixtures {
  /** Where the fixtures are on the test classpath. */
  public static final String RESOURCE = "/fixtures/openai";

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
    URL readme = Fixtures.class.getResource(RESOURCE + "/README.md");
    if (readme == null) {
      throw new IllegalStateException(
          RESOURCE + "/README.md is not on the test classpath (server/src/test/resources)");
    }
    try {
      return Path.of(readme.toURI()).getParent();
    } catch (URISyntaxException | IllegalArgumentException e) {
      throw new IllegalStateException(
          "the fixtures must be a directory on the test classpath, not " + readme, e);
    }
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
