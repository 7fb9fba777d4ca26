package dev.tollgate.tokens;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.IntArrayList;
import dev.tollgate.Fixtures;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Token counts against the known answers in the test resources fixtures/openai (tiktoken ids,
 * cookbook, recorded API usage).
 */
class TokenFixturesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static Encodings encodings;
  private static PromptCounter counter;

  @BeforeAll
  static void load() {
    encodings = new Encodings();
    counter = new PromptCounter(encodings);
  }

  private static ParsedRequest count(ApiKind api, JsonNode body) {
    return counter.parse(
        api, body.toString().getBytes(StandardCharsets.UTF_8), false, Set.of(), m -> null);
  }

  @Test
  void tiktokenIdsAndCountsMatchExactly() throws Exception {
    JsonNode cases = JSON.readTree(Fixtures.path("tokenizer/tiktoken_encode_cases.json").toFile());
    int checked = 0;
    List<String> wrong = new ArrayList<>();
    for (String section : new String[] {"published", "counts_only", "derived"}) {
      for (JsonNode c : cases.get(section)) {
        String special = c.path("allowed_special").asText("none");
        if (!special.equals("none")) {
          continue; // special tokens allowed: Tollgate never encodes user text that way
        }
        String enc = c.get("encoding").asText();
        Encoding e = encodings.encodingFor(null, enc);
        String text = c.get("text").asText();
        IntArrayList ids = e.encodeOrdinary(text);
        if (c.has("ids") && c.get("ids").size() == c.get("count").asInt()) {
          List<Integer> expected = new ArrayList<>();
          c.get("ids").forEach(x -> expected.add(x.asInt()));
          if (!expected.equals(ids.boxed())) {
            wrong.add(
                section + " " + enc + " '" + text + "': ids " + ids.boxed() + " != " + expected);
          }
        }
        if (c.get("count").asInt() != e.countTokensOrdinary(text)) {
          wrong.add(
              section
                  + " "
                  + enc
                  + " '"
                  + text
                  + "': count "
                  + e.countTokensOrdinary(text)
                  + " != "
                  + c.get("count"));
        }
        checked++;
      }
    }
    assertTrue(checked >= 100, "cases checked: " + checked);
    assertTrue(wrong.isEmpty(), String.join("\n", wrong));
  }

  @Test
  void specialTokenTextInUserContentIsOrdinaryText() {
    Encoding o200k = encodings.encodingFor("gpt-4o", null);
    int n = o200k.countTokensOrdinary("hello <|endoftext|>");
    assertTrue(n > 3, "counted as characters, not one special token: " + n);
    ObjectNode body = JSON.createObjectNode().put("model", "gpt-4o");
    body.putArray("messages").addObject().put("role", "user").put("content", "hello <|endoftext|>");
    assertEquals(3 + 1 + n + 3, count(ApiKind.CHAT_COMPLETIONS, body).promptTokens());
  }

  @Test
  void cookbookMessagesAndToolsMatchTheRecordedApiCounts() throws Exception {
    JsonNode cb =
        JSON.readTree(
            Fixtures.path("chat_completions/prompt_token_counting_cookbook.json").toFile());
    int checked = 0;
    for (JsonNode e : cb.get("case_corporate_jargon").get("expected")) {
      String model = e.get("model").asText();
      if (model.endsWith("0301")) {
        continue; // retired model with other per-message rules
      }
      ObjectNode body = JSON.createObjectNode().put("model", model);
      body.set("messages", cb.get("case_corporate_jargon").get("messages"));
      assertEquals(
          e.get("api_prompt_tokens").asInt(),
          count(ApiKind.CHAT_COMPLETIONS, body).promptTokens(),
          model);
      checked++;
    }
    JsonNode tools = cb.get("case_tools");
    for (JsonNode e : tools.get("expected")) {
      ObjectNode body = JSON.createObjectNode().put("model", e.get("model").asText());
      body.set("messages", tools.get("messages"));
      body.set("tools", tools.get("tools"));
      assertEquals(
          e.get("api_prompt_tokens").asInt(),
          count(ApiKind.CHAT_COMPLETIONS, body).promptTokens(),
          "tools " + e.get("model").asText());
      checked++;
    }
    assertTrue(checked >= 10);
  }

  @Test
  void recordedApiUsageMatchesWhereTheFixtureSaysTheRuleHolds() throws Exception {
    JsonNode cases =
        JSON.readTree(Fixtures.path("api_measured_usage_cases.json").toFile()).get("cases");
    int checked = 0;
    for (JsonNode c : cases) {
      JsonNode usage = c.path("usage");
      JsonNode derived = c.path("derived");
      JsonNode request = c.get("request");
      if (request == null || !request.isObject() || !derived.isObject()) {
        continue;
      }
      if (!request.has("model")) {
        request = ((ObjectNode) request.deepCopy()).put("model", c.get("model").asText());
      }
      int api =
          usage.has("prompt_tokens")
              ? usage.get("prompt_tokens").asInt()
              : usage.path("input_tokens").asInt(-1);
      int estimate = -1;
      for (String k :
          new String[] {
            "cookbook_prompt_estimate",
            "cookbook_prompt_estimate_as_single_user_message",
            "input_tokens",
            "prompt_tokens"
          }) {
        if (derived.has(k)) {
          estimate = derived.get(k).asInt();
        }
      }
      if (estimate < 0 || estimate != api) {
        continue;
      }
      String endpoint = c.get("endpoint").asText();
      ApiKind kind =
          endpoint.startsWith("/v1/chat")
              ? ApiKind.CHAT_COMPLETIONS
              : endpoint.startsWith("/v1/responses")
                  ? ApiKind.RESPONSES
                  : endpoint.startsWith("/v1/embeddings")
                      ? ApiKind.EMBEDDINGS
                      : ApiKind.COMPLETIONS;
      assertEquals(api, count(kind, request).promptTokens(), c.get("id").asText());
      checked++;
    }
    assertTrue(checked >= 6, "cases checked: " + checked);
  }

  @Test
  void embeddingAndCompletionInputsOfEveryShape() throws Exception {
    ParsedRequest one =
        count(
            ApiKind.EMBEDDINGS,
            JSON.readTree(Fixtures.path("embeddings/request_string.json").toFile()));
    assertEquals(8, one.promptTokens(), "the spec's usage for this input");
    assertEquals(0, one.maxOutputTokens());
    ParsedRequest strings =
        count(
            ApiKind.EMBEDDINGS,
            JSON.readTree(Fixtures.path("embeddings/request_string_array.json").toFile()));
    assertTrue(strings.promptTokens() > 8);
    assertEquals(
        5,
        count(
                ApiKind.EMBEDDINGS,
                JSON.readTree(Fixtures.path("embeddings/request_token_array.json").toFile()))
            .promptTokens());
    assertEquals(
        10,
        count(
                ApiKind.EMBEDDINGS,
                JSON.readTree(Fixtures.path("embeddings/request_token_arrays.json").toFile()))
            .promptTokens());
    ParsedRequest comp =
        count(
            ApiKind.COMPLETIONS, JSON.readTree(Fixtures.path("completions/request.json").toFile()));
    assertEquals(5, comp.promptTokens());
    assertEquals(7, comp.maxOutputTokens());
    ParsedRequest arr =
        count(
            ApiKind.COMPLETIONS,
            JSON.readTree(Fixtures.path("completions/request_prompt_array_stream.json").toFile()));
    assertTrue(arr.stream() && arr.includeUsage());
    assertEquals(
        5
            + encodings
                .encodingFor("gpt-3.5-turbo-instruct", null)
                .countTokensOrdinary("This is a test."),
        arr.promptTokens());
  }

  @Test
  void chatFixtureRequestsOfEveryShapeParse() throws Exception {
    for (String f :
        new String[] {
          "request.json",
          "request_content_parts_and_limits.json",
          "request_stream_include_usage.json",
          "request_tools.json"
        }) {
      ParsedRequest p =
          count(
              ApiKind.CHAT_COMPLETIONS,
              JSON.readTree(Fixtures.path("chat_completions/" + f).toFile()));
      assertTrue(p.promptTokens() > 5, f);
    }
    ParsedRequest parts =
        count(
            ApiKind.CHAT_COMPLETIONS,
            JSON.readTree(
                Fixtures.path("chat_completions/request_content_parts_and_limits.json").toFile()));
    assertTrue(parts.n() >= 1 && parts.maxOutputTokens() > 0);
    ParsedRequest s =
        count(
            ApiKind.CHAT_COMPLETIONS,
            JSON.readTree(
                Fixtures.path("chat_completions/request_stream_include_usage.json").toFile()));
    assertTrue(s.stream() && s.includeUsage());
    for (String f : new String[] {"request_string.json", "request_array.json"}) {
      assertTrue(
          count(ApiKind.RESPONSES, JSON.readTree(Fixtures.path("responses/" + f).toFile()))
                  .promptTokens()
              > 5,
          f);
    }
  }
}
