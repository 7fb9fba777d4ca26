package dev.tollgate.tokens;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RequestCounterTest {
  private static RequestCounter counter;

  @BeforeAll
  static void load() {
    counter = new RequestCounter(new Encodings());
  }

  private static ParsedRequest parse(ApiKind api, String body) {
    return counter.parse(api, body.getBytes(StandardCharsets.UTF_8), false, Set.of("user"), m -> null);
  }

  private static String param(ApiKind api, String body) {
    return assertThrows(InvalidRequestException.class, () -> parse(api, body)).param();
  }

  @Test
  void fieldsAreReadAndTyped() {
    ParsedRequest p = parse(ApiKind.CHAT_COMPLETIONS, """
        {"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":50,
         "max_tokens":10,"n":3,"stream":true,"stream_options":{"include_usage":true},"user":"u-1"}""");
    assertEquals("gpt-4o-mini", p.model());
    assertEquals(50, p.maxOutputTokens(), "max_completion_tokens wins over max_tokens");
    assertEquals(3, p.n());
    assertTrue(p.stream() && p.includeUsage());
    assertEquals(Map.of("user", "u-1"), p.bodyFields());
    assertEquals(-1, parse(ApiKind.RESPONSES, "{\"model\":\"m\",\"input\":\"x\"}").maxOutputTokens());
    assertEquals(64, parse(ApiKind.RESPONSES, "{\"model\":\"m\",\"input\":\"x\",\"max_output_tokens\":64}").maxOutputTokens());
  }

  @Test
  void errorsNameTheField() {
    assertNull(param(ApiKind.CHAT_COMPLETIONS, "{oops"));
    assertNull(param(ApiKind.CHAT_COMPLETIONS, "[1,2]"));
    assertEquals("model", param(ApiKind.CHAT_COMPLETIONS, "{\"messages\":[]}"));
    assertEquals("model", param(ApiKind.CHAT_COMPLETIONS, "{\"model\":[],\"messages\":[]}"));
    assertEquals("messages", param(ApiKind.CHAT_COMPLETIONS, "{\"model\":\"m\"}"));
    assertEquals("messages[1]", param(ApiKind.CHAT_COMPLETIONS, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\"},3]}"));
    assertEquals("messages[0].content", param(ApiKind.CHAT_COMPLETIONS, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":5}]}"));
    assertEquals("max_tokens", param(ApiKind.CHAT_COMPLETIONS, "{\"model\":\"m\",\"messages\":[],\"max_tokens\":-1}"));
    assertEquals("n", param(ApiKind.CHAT_COMPLETIONS, "{\"model\":\"m\",\"messages\":[],\"n\":0}"));
    assertEquals("stream", param(ApiKind.CHAT_COMPLETIONS, "{\"model\":\"m\",\"messages\":[],\"stream\":\"yes\"}"));
    assertEquals("input", param(ApiKind.EMBEDDINGS, "{\"model\":\"m\"}"));
    assertEquals("input[1]", param(ApiKind.EMBEDDINGS, "{\"model\":\"m\",\"input\":[\"a\",{}]}"));
    assertEquals("input", param(ApiKind.RESPONSES, "{\"model\":\"m\",\"input\":42}"));
    assertEquals("prompt", param(ApiKind.COMPLETIONS, "{\"model\":\"m\",\"prompt\":true}"));
  }

  @Test
  void anyBytesGiveAClearErrorNeverACrash() {
    Random rnd = new Random(7);
    String valid = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"héllo wörld\"}],\"n\":2}";
    for (int i = 0; i < 3000; i++) {
      byte[] b;
      if (i % 3 == 0) {
        b = new byte[rnd.nextInt(64)];
        rnd.nextBytes(b);
      } else {
        byte[] v = valid.getBytes(StandardCharsets.UTF_8);
        b = java.util.Arrays.copyOf(v, rnd.nextInt(v.length + 1));
        if (i % 3 == 2 && b.length > 0) {
          b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
        }
      }
      for (ApiKind api : ApiKind.values()) {
        for (boolean partial : new boolean[] {false, true}) {
          try {
            counter.parse(api, b, partial, Set.of("user"), m -> null);
          } catch (InvalidRequestException expected) {
            // a clear 400
          }
        }
      }
    }
    String deep = "[".repeat(5000) + "]".repeat(5000);
    assertThrows(InvalidRequestException.class, () -> parse(ApiKind.CHAT_COMPLETIONS, deep));
    assertEquals("max_tokens", param(ApiKind.CHAT_COMPLETIONS,
        "{\"model\":\"m\",\"messages\":[],\"max_tokens\":123456789012345678901234567890}"));
  }

  @Test
  void partialBodiesCountWhatArrived() {
    String full = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\""
        + "the quick brown fox jumps over the lazy dog ".repeat(40) + "\"}]}";
    ParsedRequest whole = parse(ApiKind.CHAT_COMPLETIONS, full);
    byte[] cut = java.util.Arrays.copyOf(full.getBytes(StandardCharsets.UTF_8), full.length() / 2);
    ParsedRequest half = counter.parse(ApiKind.CHAT_COMPLETIONS, cut, true, Set.of(), m -> null);
    assertTrue(half.partial());
    assertEquals("gpt-4o-mini", half.model());
    assertTrue(half.promptTokens() > whole.promptTokens() / 3 && half.promptTokens() < whole.promptTokens(),
        half.promptTokens() + " of " + whole.promptTokens());
    ParsedRequest noModel = counter.parse(ApiKind.CHAT_COMPLETIONS, "{\"messages\":[{\"role\":".getBytes(StandardCharsets.UTF_8),
        true, Set.of(), m -> null);
    assertNull(noModel.model());
  }

  @Test
  void imagesAndToolCallsCount() {
    ParsedRequest img = parse(ApiKind.CHAT_COMPLETIONS, """
        {"model":"gpt-4o","messages":[{"role":"user","content":[{"type":"text","text":"what is this"},
         {"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]}]}""");
    ParsedRequest text = parse(ApiKind.CHAT_COMPLETIONS, """
        {"model":"gpt-4o","messages":[{"role":"user","content":"what is this"}]}""");
    assertEquals(text.promptTokens() + RequestCounter.IMAGE_TOKENS, img.promptTokens());
    ParsedRequest calls = parse(ApiKind.CHAT_COMPLETIONS, """
        {"model":"gpt-4o","messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function",
         "function":{"name":"get_weather","arguments":"{\\"city\\":\\"Paris\\"}"}}]}]}""");
    assertTrue(calls.promptTokens() > 10);
  }
}
