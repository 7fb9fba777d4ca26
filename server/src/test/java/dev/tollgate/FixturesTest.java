package dev.tollgate;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The fixtures come from this module's test resources, so a clone of the repository alone builds.
 */
class FixturesTest {

  @Test
  void fixturesAreInsideTheModule() {
    Path module = Path.of("").toAbsolutePath().normalize();
    Path dir = Fixtures.openai().toAbsolutePath().normalize();
    assertTrue(dir.startsWith(module), dir + " is outside " + module);
    assertTrue(Files.isDirectory(module.resolve("src/test/resources/fixtures/openai")));
  }

  @Test
  void theFilesTheTestsReadArePresent() {
    assertTrue(Files.isRegularFile(Fixtures.openai("README.md")));
    assertTrue(Fixtures.json("tokenizer/tiktoken_encode_cases.json").isObject());
    assertTrue(Fixtures.bytes("chat_completions/stream_include_usage_captured.sse").length > 0);
  }
}
