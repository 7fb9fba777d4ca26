package dev.tollgate.tokens;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tollgate.Fixtures;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Bad bodies: a 400 naming the parameter, and never any other exception. */
class RequestErrorsTest {
  private final PromptCounter counter = new PromptCounter(SharedEncodings.get());

  private static final String MSG = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

  private static final byte[] JSON_BYTES = "{}[]\",:0-.eE\\u \n".getBytes(StandardCharsets.UTF_8);

  /**
   * The cases in {@code requests/bad/<api>/}: a {@code <fault>.body} and its {@code <fault>.expect}
   * ({@code param: <path>} or {@code param: none}).
   */
  @TestFactory
  List<DynamicTest> badBodiesNameTheParam() throws IOException {
    List<DynamicTest> tests = new ArrayList<>();
    Path bad = badRequests();
    try (Stream<Path> apis = Files.list(bad)) {
      for (Path dir : apis.filter(Files::isDirectory).sorted().toList()) {
        ApiKind api = ApiKind.fromMetadataName(dir.getFileName().toString().replace('_', '.'));
        List<Path> bodies;
        try (Stream<Path> files = Files.list(dir)) {
          bodies =
              files.filter(f -> f.getFileName().toString().endsWith(".body")).sorted().toList();
        }
        assertFalse(bodies.isEmpty(), "no cases in " + dir);
        for (Path file : bodies) {
          String fault = file.getFileName().toString().replaceFirst("\\.body$", "");
          byte[] body = Files.readAllBytes(file);
          String expected = expectedParam(dir.resolve(fault + ".expect"));
          tests.add(
              DynamicTest.dynamicTest(
                  dir.getFileName()
                      + "/"
                      + fault
                      + " -> "
                      + (expected == null ? "no param" : expected),
                  () -> {
                    InvalidRequestException e =
                        assertThrows(
                            InvalidRequestException.class,
                            () -> counter.parse(api, body, false, Set.of(), null));
                    assertEquals(expected, e.param(), e.getMessage());
                    assertNotNull(e.getMessage());
                    if (e.param() != null) {
                      assertTrue(e.getMessage().contains("'" + e.param() + "'"), e.getMessage());
                    }
                  }));
        }
      }
    }
    return tests;
  }

  private static Path badRequests() {
    try {
      return Path.of(RequestErrorsTest.class.getResource("/requests/bad").toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The parameter a {@code .expect} file names; null for {@code param: none}. */
  private static String expectedParam(Path expect) throws IOException {
    String line = Files.readString(expect, StandardCharsets.UTF_8).strip();
    if (!line.startsWith("param: ")) {
      throw new IllegalStateException(
          expect + ": expected 'param: <path>' or 'param: none', got '" + line + "'");
    }
    String param = line.substring("param: ".length()).strip();
    return param.equals("none") ? null : param;
  }

  @Test
  void deepNestingIsA400NotAStackOverflow() {
    for (int depth : new int[] {PromptCounter.MAX_NESTING_DEPTH + 1, 10_000, 200_000}) {
      String deep = "[".repeat(depth) + "]".repeat(depth);
      for (String field : List.of("messages", "tools", "metadata", "input", "response_format")) {
        String body = "{\"model\":\"gpt-4o\",\"" + field + "\":" + deep + "}";
        for (ApiKind api : ApiKind.values()) {
          for (boolean partial : new boolean[] {false, true}) {
            assertThrows(
                InvalidRequestException.class,
                () -> counter.parse(api, utf8(body), partial, Set.of(), null),
                field);
          }
        }
      }
    }
    String nested =
        "{\"a\":".repeat(PromptCounter.MAX_NESTING_DEPTH - 2)
            + "1"
            + "}".repeat(PromptCounter.MAX_NESTING_DEPTH - 2);
    String ok = "{\"model\":\"gpt-4o\"," + MSG + ",\"metadata\":" + nested + "}";
    assertEquals(
        "gpt-4o", counter.parse(ApiKind.CHAT_COMPLETIONS, utf8(ok), false, Set.of(), null).model());
  }

  /** Random bytes, mutated and truncated fixture bodies: only InvalidRequestException, ever. */
  @Test
  void fuzzOnlyEverThrowsInvalidRequest() {
    List<byte[]> seeds = new ArrayList<>();
    for (String f :
        List.of(
            "chat_completions/request.json",
            "chat_completions/request_tools.json",
            "chat_completions/request_content_parts_and_limits.json",
            "chat_completions/request_stream_include_usage.json",
            "responses/request_array.json",
            "responses/request_string.json",
            "embeddings/request_token_arrays.json",
            "embeddings/request_string_array.json",
            "completions/request_prompt_array_stream.json")) {
      seeds.add(Fixtures.bytes(f));
    }
    seeds.add(
        utf8(
            "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":"
                + "\"\\ud83d\\ude00 \\ud800 é 中 \\u0000\"}],\"n\":1e2,\"max_tokens\":-0}"));
    Random random = new Random(99);
    int bodies = 0;
    for (int round = 0; round < 8_000; round++) {
      byte[] seed = seeds.get(random.nextInt(seeds.size()));
      byte[] body;
      switch (random.nextInt(5)) {
        case 0 -> {
          body = new byte[random.nextInt(200)];
          random.nextBytes(body);
        }
        case 1 -> body = java.util.Arrays.copyOf(seed, random.nextInt(seed.length + 1));
        case 2 -> {
          body = seed.clone();
          for (int k = random.nextInt(4); k >= 0; k--) {
            body[random.nextInt(body.length)] = (byte) random.nextInt(256);
          }
        }
        case 3 -> {
          body = seed.clone();
          for (int k = random.nextInt(4); k >= 0; k--) {
            body[random.nextInt(body.length)] = JSON_BYTES[random.nextInt(JSON_BYTES.length)];
          }
        }
        default -> {
          String s = new String(seed, StandardCharsets.UTF_8);
          int at = random.nextInt(s.length());
          String insert =
              List.of(
                      "null",
                      "[]",
                      "{}",
                      "1e999",
                      "-1",
                      "\"x\"",
                      "[[[[",
                      "true",
                      "99999999999999999999",
                      "\"\\ud800\"")
                  .get(random.nextInt(10));
          body = utf8(s.substring(0, at) + insert + s.substring(at));
        }
      }
      for (ApiKind api : ApiKind.values()) {
        for (boolean partial : new boolean[] {false, true}) {
          try {
            ParsedRequest r = counter.parse(api, body, partial, Set.of("user", "model"), m -> null);
            assertTrue(r.promptTokens() >= 0);
            assertTrue(r.n() >= 1);
            bodies++;
          } catch (InvalidRequestException expected) {
            assertNotNull(expected.getMessage());
          } catch (RuntimeException | StackOverflowError e) {
            fail(
                api
                    + " partial="
                    + partial
                    + " body="
                    + new String(body, StandardCharsets.ISO_8859_1),
                e);
          }
        }
      }
    }
    assertTrue(bodies > 1000, "some fuzzed bodies are still valid: " + bodies);
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
