package dev.tollgate.response;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.knuddels.jtokkit.api.Encoding;
import dev.tollgate.Fixtures;
import dev.tollgate.tokens.ApiKind;
import dev.tollgate.tokens.SharedEncodings;
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
    o200k = SharedEncodings.get().encodingFor("gpt-4o", null);
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
    String[] files = {
      "chat_completions/response_captured.json",
      "chat_completions/response.json",
      "chat_completions/response_cached_and_reasoning_ILLUSTRATIVE.json",
      "responses/response_captured.json",
      "embeddings/response.json",
      "completions/response.json"
    };
    for (String f : files) {
      byte[] body = Files.readAllBytes(Fixtures.path(f));
      ApiKind api =
          f.startsWith("responses")
              ? ApiKind.RESPONSES
              : f.startsWith("embeddings") ? ApiKind.EMBEDDINGS : ApiKind.CHAT_COMPLETIONS;
      Usage whole = ResponseUsageTest.run(api, false, body);
      assertTrue(whole.fromProvider(), f);
      JsonNode usage = JSON.readTree(body).get("usage");
      long input =
          usage.has("input_tokens")
              ? usage.get("input_tokens").asLong()
              : usage.get("prompt_tokens").asLong();
      assertEquals(input, whole.inputTokens(), f);
      for (int at = 0; at <= body.length; at++) {
        assertEquals(
            whole,
            ResponseUsageTest.run(api, false, ResponseUsageTest.split(body, at)),
            f + " split " + at);
      }
      assertEquals(whole, feedInChunks(api, body, 1), f + " in 1-byte chunks");
    }
  }

  @Test
  void withoutUsageTheOutputTextsAreCountedAsATreeParseWouldCountThem() throws Exception {
    Random r = new Random(11);
    String[] pieces = {
      "Hello",
      " wörld",
      "\n",
      "\"quoted\"",
      " \\ back",
      " 日本語",
      " 😀 emoji",
      "\t tab",
      " usage",
      "{\"usage\":{\"prompt_tokens\":1}}",
      " \u0001 control",
      " é"
    };
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
          choice
              .putObject("message")
              .put("role", "assistant")
              .put("content", text.toString())
              .putObject("usage")
              .put("prompt_tokens", 5); // not the top-level usage: ignored
        } else {
          choice.put("text", text.toString());
        }
        expected += o200k.countTokensOrdinary(text.toString());
      }
      root.putNull("usage");
      String s = JSON.writeValueAsString(root);
      if (c % 2 == 0) {
        s =
            s.replace("é", "\\u00e9")
                .replace("😀", "\\ud83d\\ude00"); // escaped as some servers write them
      }
      byte[] body = s.getBytes(StandardCharsets.UTF_8);
      for (int at = 0; at <= body.length; at += 1 + body.length / 40) {
        Usage u =
            ResponseUsageTest.run(
                ApiKind.CHAT_COMPLETIONS, false, ResponseUsageTest.split(body, at));
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
      text.append(r.nextBoolean() ? " lorem" : " ipsum")
          .append(r.nextInt(1000))
          .append(r.nextInt(9) == 0 ? ".\n" : "");
    }
    ObjectNode root = JSON.createObjectNode();
    root.putArray("output")
        .addObject()
        .put("type", "message")
        .putArray("content")
        .addObject()
        .put("type", "output_text")
        .put("text", text.toString());
    long whole = o200k.countTokensOrdinary(text.toString());
    Usage u = feedInChunks(ApiKind.RESPONSES, JSON.writeValueAsBytes(root), 1000);
    assertFalse(u.fromProvider());
    assertTrue(
        Math.abs(u.outputTokens() - whole) <= whole / 500, u.outputTokens() + " vs " + whole);
  }

  @Test
  void keysAreMatchedDecodedAndOnlyAtTheTop() {
    String escaped =
        "{\"choices\":[],\"\\u0075sage\":{\"prompt_tokens\":7,\"completion_tokens\":2}}";
    assertEquals(
        9,
        ResponseUsageTest.run(
                ApiKind.CHAT_COMPLETIONS, false, escaped.getBytes(StandardCharsets.UTF_8))
            .totalTokens());
    String nested =
        "{\"data\":[{\"usage\":{\"prompt_tokens\":99}}],\"x\":\"\\\"usage\\\": {\",\"usage\":{\"prompt_tokens\":3}}";
    Usage u =
        ResponseUsageTest.run(ApiKind.EMBEDDINGS, false, nested.getBytes(StandardCharsets.UTF_8));
    assertTrue(u.fromProvider());
    assertEquals(3, u.inputTokens());
  }

  @Test
  void brokenCutOrHostileBodiesReportNothingAndNeverThrow() {
    List<String> bodies =
        new ArrayList<>(
            List.of(
                "",
                "<html>502 Bad Gateway</html>",
                "{\"usage\":{\"prompt_tokens\":",
                "{\"usage\" {\"prompt_tokens\":3}}",
                "[1,2,3]",
                "\"usage\"",
                "{\"a\":\"\\uZZZZ\",\"usage\":{\"prompt_tokens\":3}}"));
    bodies.add("[".repeat(100_000) + "]".repeat(100_000));
    bodies.add("{\"a\":" + "{\"b\":".repeat(50_000) + "1" + "}".repeat(50_001));
    for (String b : bodies) {
      Usage u =
          ResponseUsageTest.run(
              ApiKind.CHAT_COMPLETIONS, false, b.getBytes(StandardCharsets.UTF_8));
      assertFalse(u.fromProvider(), b.length() > 60 ? b.substring(0, 60) : b);
      assertEquals(14, u.inputTokens());
    }
  }

  @Test
  void aUsageObjectLargerThanItsCapIsRefused() {
    List<ResponseEvent> seen = new ArrayList<>();
    ResponseUsage u =
        new ResponseUsage(ApiKind.CHAT_COMPLETIONS, o200k, 14, BufferBudget.unlimited(), seen::add);
    String body = "{\"usage\":{\"prompt_tokens\":3,\"pad\":\"" + "x".repeat(1 << 20) + "\"}}";
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    u.feed(b, 0, b.length);
    u.finish();
    assertFalse(u.usage().fromProvider());
    assertEquals(List.of(ResponseEvent.USAGE_REFUSED), seen);
  }

  /**
   * Property: random documents, random whitespace and escaping, random splits: as a tree parse
   * would read them.
   */
  @Test
  void randomDocumentsReadAsATreeParseReadsThem() throws Exception {
    Random r = new Random(20261130);
    ObjectMapper escaping = new ObjectMapper();
    escaping
        .getFactory()
        .configure(
            com.fasterxml.jackson.core.json.JsonWriteFeature.ESCAPE_NON_ASCII.mappedFeature(),
            true);
    int withUsage = 0;
    int withTexts = 0;
    for (int c = 0; c < 500; c++) {
      ObjectNode root = (ObjectNode) randomValue(r, 0, true);
      if (r.nextInt(3) > 0) {
        ObjectNode u = root.putObject("usage");
        u.put("prompt_tokens", r.nextInt(3) == 0 ? -r.nextInt(10) : r.nextInt(100_000));
        u.put("completion_tokens", r.nextInt(100_000));
        if (r.nextBoolean()) {
          u.putObject("prompt_tokens_details").put("cached_tokens", r.nextInt(100));
        }
        if (r.nextInt(4) == 0) {
          u.set("completion_tokens_details", randomValue(r, 3, false));
        }
      }
      ObjectMapper writer = r.nextBoolean() ? escaping : JSON;
      byte[] body =
          (r.nextBoolean() ? writer.writerWithDefaultPrettyPrinter() : writer.writer())
              .writeValueAsBytes(root);
      ProviderUsage.Checked expected = ProviderUsage.check(root.get("usage"));
      int[] at = new int[r.nextInt(6)];
      for (int i = 0; i < at.length; i++) {
        at[i] = r.nextInt(body.length + 1);
      }
      java.util.Arrays.sort(at);
      Usage u =
          ResponseUsageTest.run(ApiKind.CHAT_COMPLETIONS, false, ResponseUsageTest.split(body, at));
      String what = "case " + c + ": " + new String(body, StandardCharsets.UTF_8);
      if (expected.usage() != null) {
        assertEquals(expected.usage(), u, what);
        withUsage++;
      } else {
        assertFalse(u.fromProvider(), what);
        assertEquals(outputTokens(root), u.outputTokens(), what);
        withTexts += u.outputTokens() > 0 ? 1 : 0;
      }
    }
    assertTrue(
        withUsage > 100 && withTexts > 50,
        withUsage + " with usage, " + withTexts + " counted from texts");
  }

  private static final String[] KEYS = {
    "usage",
    "choices",
    "message",
    "content",
    "text",
    "output",
    "error",
    "status",
    "id",
    "data",
    "embedding",
    "us\u0061ge",
    "\"quoted\"",
    "ключ"
  };
  private static final String[] TEXTS = {
    "",
    "Hello",
    " wörld",
    "\n\t",
    "日本語 text",
    "😀",
    "\\",
    "\"",
    "a\u0000b",
    "usage",
    "{\"usage\":1}",
    "]}"
  };

  private static com.fasterxml.jackson.databind.JsonNode randomValue(
      Random r, int depth, boolean object) {
    int kind = object ? 0 : depth > 4 ? 2 + r.nextInt(4) : r.nextInt(6);
    switch (kind) {
      case 0 -> {
        ObjectNode o = JSON.createObjectNode();
        for (int i = r.nextInt(depth == 0 ? 6 : 4); i > 0; i--) {
          String k = KEYS[r.nextInt(KEYS.length)];
          if (!(depth == 0 && k.equals("usage"))) {
            o.set(k, randomValue(r, depth + 1, false));
          }
        }
        if (depth == 0 && r.nextBoolean()) {
          ArrayNode choices = o.putArray("choices");
          for (int i = r.nextInt(3); i > 0; i--) {
            ObjectNode ch = choices.addObject();
            if (r.nextBoolean()) {
              ch.putObject("message")
                  .put("content", TEXTS[r.nextInt(TEXTS.length)] + r.nextInt(1000));
            } else {
              ch.put("text", TEXTS[r.nextInt(TEXTS.length)]);
            }
          }
        }
        return o;
      }
      case 1 -> {
        ArrayNode a = JSON.createArrayNode();
        for (int i = r.nextInt(4); i > 0; i--) {
          a.add(randomValue(r, depth + 1, r.nextInt(3) == 0));
        }
        return a;
      }
      case 2 -> {
        return JSON.getNodeFactory().textNode(TEXTS[r.nextInt(TEXTS.length)]);
      }
      case 3 -> {
        return r.nextBoolean()
            ? JSON.getNodeFactory().numberNode(r.nextLong())
            : JSON.getNodeFactory().numberNode(r.nextDouble() * 1e6);
      }
      case 4 -> {
        return JSON.getNodeFactory().booleanNode(r.nextBoolean());
      }
      default -> {
        return JSON.getNodeFactory().nullNode();
      }
    }
  }

  /** The output texts a JSON answer carries, each counted on its own. */
  private static long outputTokens(JsonNode root) {
    long n = 0;
    JsonNode choices = root.get("choices");
    if (choices != null && choices.isArray()) {
      for (JsonNode ch : choices) {
        JsonNode content = ch.path("message").path("content");
        if (ch.isObject() && ch.path("message").isObject() && content.isTextual()) {
          n += o200k.countTokensOrdinary(content.asText());
        }
        if (ch.isObject() && ch.path("text").isTextual()) {
          n += o200k.countTokensOrdinary(ch.get("text").asText());
        }
      }
    }
    JsonNode output = root.get("output");
    if (output != null && output.isArray()) {
      for (JsonNode item : output) {
        JsonNode content = item.path("content");
        if (item.isObject() && content.isArray()) {
          for (JsonNode part : content) {
            if (part.isObject() && part.path("text").isTextual()) {
              n += o200k.countTokensOrdinary(part.get("text").asText());
            }
          }
        }
      }
    }
    return n;
  }
}
