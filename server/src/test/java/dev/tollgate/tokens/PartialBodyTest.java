package dev.tollgate.tokens;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.Fixtures;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Bodies cut by Envoy's byte limit: never an error for the cut, counts of what arrived. */
class PartialBodyTest {
  private final PromptCounter counter = new PromptCounter(SharedEncodings.get());

  private ParsedRequest partial(ApiKind api, byte[] body) {
    return counter.parse(api, body, true, Set.of("user"), m -> null);
  }

  private ParsedRequest whole(ApiKind api, String body) {
    return counter.parse(
        api, body.getBytes(StandardCharsets.UTF_8), false, Set.of("user"), m -> null);
  }

  @Test
  void everyPrefixOfEveryFixtureRequestParses() {
    for (String f :
        List.of(
            "chat_completions/request.json",
            "chat_completions/request_tools.json",
            "chat_completions/request_content_parts_and_limits.json",
            "responses/request_array.json",
            "embeddings/request_token_arrays.json",
            "embeddings/request_string_array.json",
            "completions/request_prompt_array_stream.json")) {
      byte[] full = Fixtures.bytes(f);
      ApiKind api =
          ApiKind.fromMetadataName(
              f.startsWith("chat") ? "chat.completions" : f.substring(0, f.indexOf('/')));
      int firstBrace = new String(full, StandardCharsets.UTF_8).indexOf('{');
      for (int len = firstBrace + 1; len <= full.length; len++) {
        ParsedRequest r = partial(api, Arrays.copyOf(full, len));
        assertTrue(r.partial());
        assertTrue(r.promptTokens() >= 0);
      }
      ParsedRequest complete = partial(api, full);
      assertEquals(
          counter.parse(api, full, false, Set.of(), null).promptTokens(),
          complete.promptTokens(),
          f);
    }
  }

  @Test
  void aCutStringCountsWhatArrived() {
    String text =
        "The quick brown fox jumped over the lazy dog. ".repeat(20) + "é中😀 \\\" \\n \\u00e9 end";
    String head = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"";
    String full = head + text + "\"}]}";
    byte[] bytes = full.getBytes(StandardCharsets.UTF_8);
    int start = head.getBytes(StandardCharsets.UTF_8).length;
    for (int len = start; len < start + text.getBytes(StandardCharsets.UTF_8).length; len++) {
      String prefix = JsonCursor.stringPrefix(bytes, start, len);
      int expected =
          whole(ApiKind.CHAT_COMPLETIONS, head + jsonEscape(prefix) + "\"}]}").promptTokens();
      assertEquals(
          expected,
          partial(ApiKind.CHAT_COMPLETIONS, Arrays.copyOf(bytes, len)).promptTokens(),
          "cut at " + len);
    }
  }

  @Test
  void modelIsNullUnlessItArrivedWhole() {
    String body =
        "{\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}],\"model\":\"gpt-4o-mini\"}";
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    int modelEnd = body.lastIndexOf('"') + 1;
    ParsedRequest whole = whole(ApiKind.CHAT_COMPLETIONS, body);
    for (int len = 1; len <= bytes.length; len++) {
      ParsedRequest r = partial(ApiKind.CHAT_COMPLETIONS, Arrays.copyOf(bytes, len));
      if (len < modelEnd) {
        assertNull(r.model(), "cut at " + len);
      } else {
        assertEquals("gpt-4o-mini", r.model());
        assertEquals(whole.promptTokens(), r.promptTokens());
      }
    }
  }

  @Test
  void aNumberRunningIntoTheCutIsIgnored() {
    String body = "{\"model\":\"gpt-4o\",\"messages\":[],\"max_tokens\":1234";
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    assertEquals(-1, partial(ApiKind.CHAT_COMPLETIONS, bytes).maxOutputTokens());
    assertEquals(
        1234,
        partial(ApiKind.CHAT_COMPLETIONS, (body + ",").getBytes(StandardCharsets.UTF_8))
            .maxOutputTokens());
    assertEquals(
        1,
        partial(
                ApiKind.CHAT_COMPLETIONS,
                "{\"model\":\"gpt-4o\",\"n\":12".getBytes(StandardCharsets.UTF_8))
            .n());
  }

  @Test
  void overheadForEveryMessageSeenAndMediaCutInTheMiddle() {
    String body =
        "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"user\","
            + "\"content\":[{\"type\":\"input_audio\",\"input_audio\":{\"format\":\"mp3\",\"data\":\""
            + "Q".repeat(64_000);
    ParsedRequest r = partial(ApiKind.CHAT_COMPLETIONS, body.getBytes(StandardCharsets.UTF_8));
    int user = SharedEncodings.get().encoding("o200k_base").countTokensOrdinary("user");
    int a = SharedEncodings.get().encoding("o200k_base").countTokensOrdinary("a");
    int audio =
        (64_000 * 3 / 4 + Cookbook.AUDIO_BYTES_PER_TOKEN - 1) / Cookbook.AUDIO_BYTES_PER_TOKEN;
    assertEquals(2 * 3 + 3 + 2 * user + a + audio, r.promptTokens());
  }

  @Test
  void bodyFieldsOnlyWhenWhole() {
    String body = "{\"model\":\"gpt-4o\",\"messages\":[],\"user\":\"alice-and-more\"";
    assertEquals(
        "alice-and-more",
        partial(ApiKind.CHAT_COMPLETIONS, body.getBytes(StandardCharsets.UTF_8))
            .bodyFields()
            .get("user"));
    String cut = body.substring(0, body.length() - 3);
    assertTrue(
        partial(ApiKind.CHAT_COMPLETIONS, cut.getBytes(StandardCharsets.UTF_8))
            .bodyFields()
            .isEmpty());
  }

  @Test
  void notJsonIsStillAnError() {
    for (String s : List.of("hello world", "", "[1,2", "  ", "<xml>")) {
      assertThrows(
          InvalidRequestException.class,
          () -> partial(ApiKind.CHAT_COMPLETIONS, s.getBytes(StandardCharsets.UTF_8)),
          s);
    }
    assertThrows(
        InvalidRequestException.class,
        () ->
            partial(
                ApiKind.CHAT_COMPLETIONS,
                "{\"model\":\"gpt-4o\",\"messages\":5,\"x\":1".getBytes(StandardCharsets.UTF_8)));
    assertThrows(
        InvalidRequestException.class,
        () ->
            partial(
                ApiKind.CHAT_COMPLETIONS,
                "{\"model\":\"gpt-4o\",,,,,,,,,,,\"messages\":[".getBytes(StandardCharsets.UTF_8)));
  }

  private static String jsonEscape(String s) {
    StringBuilder sb = new StringBuilder();
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        default -> sb.append(c);
      }
    }
    return sb.toString();
  }
}
