package dev.tollgate.tokens;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tollgate.Fixtures;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Bad bodies: a 400 naming the parameter, and never any other exception. */
class RequestErrorsTest {
  private final RequestCounter counter = new RequestCounter(SharedEncodings.get());

  private static final String MSG = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

  /** api, body, expected param ("-" for none). */
  private static final String[][] CASES = {
    {"chat", "not json", "-"},
    {"chat", "", "-"},
    {"chat", "[]", "-"},
    {"chat", "\"text\"", "-"},
    {"chat", "{}", "model"},
    {"chat", "{" + MSG + "}", "model"},
    {"chat", "{\"model\":null," + MSG + "}", "model"},
    {"chat", "{\"model\":\"\"," + MSG + "}", "model"},
    {"chat", "{\"model\":4," + MSG + "}", "model"},
    {"chat", "{\"model\":[\"gpt-4o\"]," + MSG + "}", "model"},
    {"chat", "{\"model\":\"gpt-4o-mini\",\"model\":\"gpt-5\"," + MSG + "}", "model"},
    {"chat", "{\"model\":\"gpt-4o\"}", "messages"},
    {"chat", "{\"model\":\"gpt-4o\",\"messages\":{}}", "messages"},
    {"chat", "{\"model\":\"gpt-4o\",\"messages\":\"hi\"}", "messages"},
    {"chat", "{\"model\":\"gpt-4o\",\"messages\":[1]}", "messages[0]"},
    {"chat", "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"},"
            + "{\"role\":\"user\",\"content\":\"b\"},{\"role\":\"user\",\"content\":5}]}", "messages[2].content"},
    {"chat", "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":{\"text\":\"x\"}}]}", "messages[0].content"},
    {"chat", "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":7,\"content\":\"x\"}]}", "messages[0].role"},
    {"chat", "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"name\":false,\"content\":\"x\"}]}", "messages[0].name"},
    {"chat", "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":5}]}]}", "messages[0].content[0].text"},
    {"chat", "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":[\"a\",7]}]}", "messages[0].content[1]"},
    {"chat", "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"a\",\"content\":\"b\"}]}", "messages[0].content"},
    {"chat", "{\"model\":\"gpt-4o\"," + MSG + ",\"max_tokens\":\"5\"}", "max_tokens"},
    {"chat", "{\"model\":\"gpt-4o\"," + MSG + ",\"max_tokens\":-1}", "max_tokens"},
    {"chat", "{\"model\":\"gpt-4o\"," + MSG + ",\"max_tokens\":1.5}", "max_tokens"},
    {"chat", "{\"model\":\"gpt-4o\"," + MSG + ",\"max_tokens\":1e400}", "max_tokens"},
    {"chat", "{\"model\":\"gpt-4o\"," + MSG + ",\"max_tokens\":99999999999999999999999999}", "max_tokens"},
    {"chat", "{\"model\":\"gpt-4o\"," + MSG + ",\"max_completion_tokens\":true}", "max_completion_tokens"},
    {"chat", "{\"model\":\"gpt-4o\"," + MSG + ",\"n\":0}", "n"},
    {"chat", "{\"model\":\"gpt-4o\"," + MSG + ",\"n\":129}", "n"},
    {"chat", "{\"model\":\"gpt-4o\"," + MSG + ",\"n\":\"2\"}", "n"},
    {"chat", "{\"model\":\"gpt-4o\"," + MSG + ",\"stream\":\"yes\"}", "stream"},
    {"chat", "{\"model\":\"gpt-4o\"," + MSG + ",\"stream_options\":true}", "stream_options"},
    {"chat", "{\"model\":\"gpt-4o\"," + MSG + ",\"stream_options\":{\"include_usage\":1}}", "stream_options.include_usage"},
    {"chat", "{\"model\":\"gpt-4o\"," + MSG + ",\"tools\":{}}", "tools"},
    {"chat", "{\"model\":\"gpt-4o\"," + MSG + ",\"tools\":[1]}", "tools[0]"},
    {"chat", "{\"model\":\"gpt-4o\"," + MSG + ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":3}}]}", "tools[0].function.name"},
    {"chat", "{\"model\":\"gpt-4o\"," + MSG + "} trailing", "-"},
    {"chat", "{\"model\":\"gpt-4o\"," + MSG, "-"},
    {"chat", "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"unterminated}]}", "-"},
    {"responses", "{\"model\":\"gpt-4o\",\"input\":5}", "input"},
    {"responses", "{\"model\":\"gpt-4o\",\"input\":[5]}", "input[0]"},
    {"responses", "{\"model\":\"gpt-4o\",\"input\":[{\"role\":\"user\",\"content\":5}]}", "input[0].content"},
    {"responses", "{\"model\":\"gpt-4o\",\"input\":\"x\",\"instructions\":5}", "instructions"},
    {"responses", "{\"model\":\"gpt-4o\",\"input\":\"x\",\"max_output_tokens\":-3}", "max_output_tokens"},
    {"responses", "{\"input\":\"x\"}", "model"},
    {"completions", "{\"model\":\"gpt-3.5-turbo-instruct\",\"prompt\":5}", "prompt"},
    {"completions", "{\"model\":\"gpt-3.5-turbo-instruct\",\"prompt\":[{}]}", "prompt[0]"},
    {"completions", "{\"model\":\"gpt-3.5-turbo-instruct\",\"prompt\":[[1,\"a\"]]}", "prompt[0][1]"},
    {"completions", "{\"model\":\"gpt-3.5-turbo-instruct\",\"prompt\":\"x\",\"best_of\":21}", "best_of"},
    {"completions", "{\"model\":\"gpt-3.5-turbo-instruct\",\"prompt\":\"x\",\"max_tokens\":-7}", "max_tokens"},
    {"embeddings", "{\"model\":\"text-embedding-3-small\"}", "input"},
    {"embeddings", "{\"model\":\"text-embedding-3-small\",\"input\":null}", "input"},
    {"embeddings", "{\"model\":\"text-embedding-3-small\",\"input\":{}}", "input"},
    {"embeddings", "{\"model\":\"text-embedding-3-small\",\"input\":[1.5]}", "input[0]"},
    {"embeddings", "{\"model\":\"text-embedding-3-small\",\"input\":[[1,2],[3,true]]}", "input[1][1]"},
    {"embeddings", "{\"model\":\"text-embedding-3-small\",\"input\":[\"a\",null]}", "input[1]"},
  };

  private static final byte[] JSON_BYTES = "{}[]\",:0-.eE\\u \n".getBytes(StandardCharsets.UTF_8);

  private static ApiKind api(String name) {
    return name.equals("chat") ? ApiKind.CHAT_COMPLETIONS : ApiKind.fromMetadataName(name);
  }

  @TestFactory
  List<DynamicTest> badBodiesNameTheParam() {
    List<DynamicTest> tests = new ArrayList<>();
    for (String[] c : CASES) {
      tests.add(
          DynamicTest.dynamicTest(
              c[0] + " " + c[1] + " -> " + c[2],
              () -> {
                InvalidRequestException e =
                    assertThrows(
                        InvalidRequestException.class,
                        () -> counter.parse(api(c[0]), utf8(c[1]), false, Set.of(), null));
                assertEquals(c[2].equals("-") ? null : c[2], e.param(), e.getMessage());
                assertNotNull(e.getMessage());
                if (e.param() != null) {
                  assertTrue(e.getMessage().contains("'" + e.param() + "'"), e.getMessage());
                }
              }));
    }
    return tests;
  }

  @Test
  void deepNestingIsA400NotAStackOverflow() {
    for (int depth : new int[] {RequestCounter.MAX_NESTING_DEPTH + 1, 10_000, 200_000}) {
      String deep = "[".repeat(depth) + "]".repeat(depth);
      for (String field : List.of("messages", "tools", "metadata", "input", "response_format")) {
        String body = "{\"model\":\"gpt-4o\",\"" + field + "\":" + deep + "}";
        for (ApiKind api : ApiKind.values()) {
          for (boolean partial : new boolean[] {false, true}) {
            assertThrows(InvalidRequestException.class,
                () -> counter.parse(api, utf8(body), partial, Set.of(), null), field);
          }
        }
      }
    }
    String nested = "{\"a\":".repeat(RequestCounter.MAX_NESTING_DEPTH - 2) + "1"
        + "}".repeat(RequestCounter.MAX_NESTING_DEPTH - 2);
    String ok = "{\"model\":\"gpt-4o\"," + MSG + ",\"metadata\":" + nested + "}";
    assertEquals("gpt-4o", counter.parse(ApiKind.CHAT_COMPLETIONS, utf8(ok), false, Set.of(), null).model());
  }

  /** Random bytes, mutated and truncated fixture bodies: only InvalidRequestException, ever. */
  @Test
  void fuzzOnlyEverThrowsInvalidRequest() {
    List<byte[]> seeds = new ArrayList<>();
    for (String f :
        List.of("chat_completions/request.json", "chat_completions/request_tools.json",
            "chat_completions/request_content_parts_and_limits.json",
            "chat_completions/request_stream_include_usage.json", "responses/request_array.json",
            "responses/request_string.json", "embeddings/request_token_arrays.json",
            "embeddings/request_string_array.json", "completions/request_prompt_array_stream.json")) {
      seeds.add(Fixtures.bytes(f));
    }
    seeds.add(utf8("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":"
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
          String insert = List.of("null", "[]", "{}", "1e999", "-1", "\"x\"", "[[[[", "true", "99999999999999999999",
              "\"\\ud800\"").get(random.nextInt(10));
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
            fail(api + " partial=" + partial + " body=" + new String(body, StandardCharsets.ISO_8859_1), e);
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
