package dev.tollgate.tokens;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.knuddels.jtokkit.api.Encoding;
import dev.tollgate.Fixtures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Usage from JSON bodies of any size, read as they pass in a few KiB, split anywhere. */
class JsonBodyUsageTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static Encoding o200k;

  @BeforeAll
  static void load() {
    o200k = new Encodings().encodingFor("gpt-4o", null);
  }

  static Usage feedInChunks(ApiKind api, byte[] body, int chunk) {
    ResponseUsage u = new ResponseUsage(api, o200k, 14);
    u.streaming(false);
    for (int i = 0; i < body.length; i += chunk) {
      u.feed(body, i, Math.min(chunk, body.length - i));
    }
    u.finish();
    return u.usage();
  }

  @Test
  void embeddingsAnswersPastSixteenMibStillReportTheirUsage() {
    for (boolean base64 : new boolean[] {true, false}) {
      byte[] body = LargeAnswers.embeddings(20 << 20, base64);
      Usage u = feedInChunks(ApiKind.EMBEDDINGS, body, 64 << 10);
      assertTrue(u.fromProvider(), "base64 " + base64);
      assertEquals(8, u.inputTokens());
      assertEquals(0, u.outputTokens());
    }
  }

  @Test
  void aFifteenMibAnswerHoldsAFewKibAtEveryChunk() {
    for (boolean base64 : new boolean[] {true, false}) {
      byte[] body = LargeAnswers.embeddings(15 << 20, base64);
      ResponseUsage u = new ResponseUsage(ApiKind.EMBEDDINGS, o200k, 14);
      u.streaming(false);
      long most = 0;
      for (int i = 0; i < body.length; i += 64 << 10) {
        u.feed(body, i, Math.min(64 << 10, body.length - i));
        most = Math.max(most, u.retainedBytes());
      }
      u.finish();
      assertTrue(most <= 8 << 10, "held at most " + most + " bytes");
      assertEquals(0, u.retainedBytes());
      assertEquals(8, u.usage().inputTokens());
    }
  }

  @Test
  void everyFixtureGivesTheSameUsageAtEverySplitAndInOneByteChunks() throws Exception {
    String[] files = {"chat_completions/response_captured.json", "chat_completions/response.json",
        "chat_completions/response_cached_and_reasoning_ILLUSTRATIVE.json", "responses/response_captured.json",
        "embeddings/response.json", "completions/response.json"};
    for (String f : files) {
      byte[] body = Files.readAllBytes(Fixtures.path(f));
      ApiKind api = f.startsWith("responses") ? ApiKind.RESPONSES
          : f.startsWith("embeddings") ? ApiKind.EMBEDDINGS : ApiKind.CHAT_COMPLETIONS;
      Usage whole = ResponseUsageTest.run(api, false, body);
      assertTrue(whole.fromProvider(), f);
      JsonNode usage = JSON.readTree(body).get("usage");
      long input = usage.has("input_tokens") ? usage.get("input_tokens").asLong() : usage.get("prompt_tokens").asLong();
      assertEquals(input, whole.inputTokens(), f);
      for (int at = 0; at <= body.length; at++) {
        assertEquals(whole, ResponseUsageTest.run(api, false, ResponseUsageTest.split(body, at)), f + " split " + at);
      }
      assertEquals(whole, feedInChunks(api, body, 1), f + " in 1-byte chunks");
    }
  }

  @Test
  void withoutUsageTheOutputTextsAreCountedAsATreeParseWouldCountThem() throws Exception {
    Random r = new Random(11);
    String[] pieces = {"Hello", " wörld", "\n", "\"quoted\"", " \\ back", " 日本語", " 😀 emoji", "\t tab", " usage",
        "{\"usage\":{\"prompt_tokens\":1}}", " \u0001 control", " é"};
    for (int c = 0; c < 60; c++) {
      ObjectNode root = JSON.createObjectNode().put("id", "x" + c).put("object", "chat.completion");
      ArrayNode choices = root.putArray("choices");
      long expected = 0;
      for (int k = 0; k < 1 + r.nextInt(3); k++) {
        StringBuilder text = new StringBuilder();
        for (int w = 0; w < r.nextInt(40); w++) {
          text.append(pieces[r.nextInt(pieces.length)]);
        }
        ObjectNode choice = choices.addObject().put("index", k);
        if (r.nextBoolean()) {
          choice.putObject("message").put("role", "assistant").put("content", text.toString())
              .putObject("usage").put("prompt_tokens", 5); // not the top-level usage: ignored
        } else {
          choice.put("text", text.toString());
        }
        expected += o200k.countTokensOrdinary(text.toString());
      }
      root.putNull("usage");
      String s = JSON.writeValueAsString(root);
      if (c % 2 == 0) {
        s = s.replace("é", "\\u00e9").replace("😀", "\\ud83d\\ude00"); // escaped as some servers write them
      }
      byte[] body = s.getBytes(StandardCharsets.UTF_8);
      for (int at = 0; at <= body.length; at += 1 + body.length / 40) {
        Usage u = ResponseUsageTest.run(ApiKind.CHAT_COMPLETIONS, false, ResponseUsageTest.split(body, at));
        assertFalse(u.fromProvider(), "case " + c);
        assertEquals(expected, u.outputTokens(), "case " + c + " split " + at + ": " + s);
      }
    }
  }

  @Test
  void aLongOutputTextIsCountedInPiecesCloseToTheWhole() throws Exception {
    StringBuilder text = new StringBuilder();
    Random r = new Random(3);
    while (text.length() < 200_000) {
      text.append(r.nextBoolean() ? " lorem" : " ipsum").append(r.nextInt(1000)).append(r.nextInt(9) == 0 ? ".\n" : "");
    }
    ObjectNode root = JSON.createObjectNode();
    root.putArray("output").addObject().put("type", "message").putArray("content").addObject()
        .put("type", "output_text").put("text", text.toString());
    long whole = o200k.countTokensOrdinary(text.toString());
    Usage u = feedInChunks(ApiKind.RESPONSES, JSON.writeValueAsBytes(root), 1000);
    assertFalse(u.fromProvider());
    assertTrue(Math.abs(u.outputTokens() - whole) <= whole / 500, u.outputTokens() + " vs " + whole);
  }

  @Test
  void keysAreMatchedDecodedAndOnlyAtTheTop() {
    String escaped = "{\"choices\":[],\"\\u0075sage\":{\"prompt_tokens\":7,\"completion_tokens\":2}}";
    assertEquals(9, ResponseUsageTest.run(ApiKind.CHAT_COMPLETIONS, false, escaped.getBytes(StandardCharsets.UTF_8))
        .totalTokens());
    String nested = "{\"data\":[{\"usage\":{\"prompt_tokens\":99}}],\"x\":\"\\\"usage\\\": {\",\"usage\":{\"prompt_tokens\":3}}";
    Usage u = ResponseUsageTest.run(ApiKind.EMBEDDINGS, false, nested.getBytes(StandardCharsets.UTF_8));
    assertTrue(u.fromProvider());
    assertEquals(3, u.inputTokens());
  }

  @Test
  void brokenCutOrHostileBodiesReportNothingAndNeverThrow() {
    List<String> bodies = new ArrayList<>(List.of("", "<html>502 Bad Gateway</html>", "{\"usage\":{\"prompt_tokens\":",
        "{\"usage\" {\"prompt_tokens\":3}}", "[1,2,3]", "\"usage\"",
        "{\"a\":\"\\uZZZZ\",\"usage\":{\"prompt_tokens\":3}}"));
    bodies.add("[".repeat(100_000) + "]".repeat(100_000));
    bodies.add("{\"a\":" + "{\"b\":".repeat(50_000) + "1" + "}".repeat(50_001));
    for (String b : bodies) {
      Usage u = ResponseUsageTest.run(ApiKind.CHAT_COMPLETIONS, false, b.getBytes(StandardCharsets.UTF_8));
      assertFalse(u.fromProvider(), b.length() > 60 ? b.substring(0, 60) : b);
      assertEquals(14, u.inputTokens());
    }
  }

  @Test
  void aUsageObjectLargerThanItsCapIsRefused() {
    List<ResponseEvent> seen = new ArrayList<>();
    ResponseUsage u = new ResponseUsage(ApiKind.CHAT_COMPLETIONS, o200k, 14, BufferBudget.unlimited(), seen::add);
    String body = "{\"usage\":{\"prompt_tokens\":3,\"pad\":\"" + "x".repeat(1 << 20) + "\"}}";
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    u.feed(b, 0, b.length);
    u.finish();
    assertFalse(u.usage().fromProvider());
    assertEquals(List.of(ResponseEvent.USAGE_REFUSED), seen);
  }
}
