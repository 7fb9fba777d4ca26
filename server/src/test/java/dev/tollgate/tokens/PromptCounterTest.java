package dev.tollgate.tokens;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.Fixtures;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Request bodies against the OpenAI fixtures: cookbook counts, measured usage, the shapes. */
class PromptCounterTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNode COOKBOOK =
      Fixtures.json("chat_completions/prompt_token_counting_cookbook.json");
  private static final JsonNode MEASURED = Fixtures.json("api_measured_usage_cases.json");
  private static final JsonNode TOKENIZER = Fixtures.json("tokenizer/tiktoken_encode_cases.json");

  private final PromptCounter counter = new PromptCounter(SharedEncodings.get());

  private ParsedRequest parse(ApiKind api, JsonNode body) {
    return parse(api, body, m -> null);
  }

  private ParsedRequest parse(ApiKind api, JsonNode body, Function<String, String> configured) {
    return counter.parse(api, bytes(body), false, Set.of(), configured);
  }

  private static byte[] bytes(JsonNode body) {
    try {
      return JSON.writeValueAsBytes(body);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static ObjectNode body(String model) {
    return JSON.createObjectNode().put("model", model);
  }

  /** A derived tiktoken count from the tokenizer fixture. */
  private static int derivedCount(String encoding, String text) {
    for (JsonNode c : TOKENIZER.get("derived")) {
      if (c.get("encoding").asText().equals(encoding) && c.get("text").asText().equals(text)) {
        return c.get("count").asInt();
      }
    }
    throw new AssertionError("no derived case for " + encoding + " " + text);
  }

  // ------------------------------------------------------------------ cookbook

  @TestFactory
  List<DynamicTest> cookbookMessagesExample() {
    JsonNode c = COOKBOOK.get("case_corporate_jargon");
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode expected : c.get("expected")) {
      String model = expected.get("model").asText();
      tests.add(
          DynamicTest.dynamicTest(
              model + " = " + expected.get("num_tokens_from_messages").asInt(),
              () -> {
                assertEquals(expected.get("encoding").asText(), Encodings.nameFor(model));
                ObjectNode body = body(model);
                body.set("messages", c.get("messages"));
                ParsedRequest r = parse(ApiKind.CHAT_COMPLETIONS, body);
                assertEquals(expected.get("num_tokens_from_messages").asInt(), r.promptTokens());
                assertEquals(expected.get("api_prompt_tokens").asInt(), r.promptTokens());
              }));
    }
    return tests;
  }

  @TestFactory
  List<DynamicTest> cookbookToolsExample() {
    JsonNode c = COOKBOOK.get("case_tools");
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode expected : c.get("expected")) {
      String model = expected.get("model").asText();
      tests.add(
          DynamicTest.dynamicTest(
              model + " = " + expected.get("num_tokens_for_tools").asInt(),
              () -> {
                ObjectNode body = body(model);
                body.set("messages", c.get("messages"));
                body.set("tools", c.get("tools"));
                assertEquals(
                    expected.get("num_tokens_for_tools").asInt(),
                    parse(ApiKind.CHAT_COMPLETIONS, body).promptTokens());
                // the same function through the legacy 'functions' field
                ObjectNode legacy = body(model);
                legacy.set("messages", c.get("messages"));
                legacy.set(
                    "functions", JSON.createArrayNode().add(c.get("tools").get(0).get("function")));
                assertEquals(
                    expected.get("num_tokens_for_tools").asInt(),
                    parse(ApiKind.CHAT_COMPLETIONS, legacy).promptTokens());
                // the messages alone: the derived breakdown's message_tokens
                ObjectNode messagesOnly = body(model);
                messagesOnly.set("messages", c.get("messages"));
                assertEquals(
                    c.get("derived_breakdown")
                        .get(Encodings.nameFor(model))
                        .get("message_tokens")
                        .asInt(),
                    parse(ApiKind.CHAT_COMPLETIONS, messagesOnly).promptTokens());
              }));
    }
    return tests;
  }

  @Test
  void chatToolsFixtureRequestMatchesTheCookbook() {
    JsonNode request = Fixtures.json("chat_completions/request_tools.json");
    String model = request.get("model").asText();
    int expected = -1;
    for (JsonNode e : COOKBOOK.get("case_tools").get("expected")) {
      if (e.get("model").asText().equals(model)) {
        expected = e.get("num_tokens_for_tools").asInt();
      }
    }
    assertEquals(COOKBOOK.get("case_tools").get("tools"), request.get("tools"));
    assertEquals(expected, parse(ApiKind.CHAT_COMPLETIONS, request).promptTokens());
  }

  /** Beyond the cookbook: nested properties use its property constants; other strings count. */
  @Test
  void nestedSchemasExtendTheCookbookFormula() throws Exception {
    JsonNode constants = COOKBOOK.get("case_tools").get("constants").get("gpt-4o, gpt-4o-mini");
    JsonNode tool =
        JSON.readTree(
            "{\"type\":\"function\",\"function\":{\"name\":\"book\","
                + "\"description\":\"Book a trip.\",\"parameters\":{\"type\":\"object\",\"properties\":{"
                + "\"when\":{\"type\":\"string\",\"format\":\"date\"},"
                + "\"who\":{\"type\":\"object\",\"description\":\"Traveller.\",\"properties\":{"
                + "\"name\":{\"type\":[\"string\",\"null\"]}},\"required\":[\"name\"]}},"
                + "\"required\":[\"when\"],\"additionalProperties\":false},\"strict\":true}}");
    ObjectNode body = body("gpt-4o");
    body.putArray("messages");
    body.putArray("tools").add(tool);
    var o = e("o200k_base");
    int expected =
        3 // reply priming
            + constants.get("func_init").asInt()
            + o.countTokensOrdinary("book:Book a trip")
            + constants.get("prop_init").asInt()
            + constants.get("prop_key").asInt()
            + o.countTokensOrdinary("when:string:")
            + o.countTokensOrdinary("date")
            + constants.get("prop_key").asInt()
            + o.countTokensOrdinary("who:object:Traveller")
            + constants.get("prop_init").asInt()
            + constants.get("prop_key").asInt()
            + o.countTokensOrdinary("name:string | null:")
            + constants.get("func_end").asInt();
    assertEquals(expected, parse(ApiKind.CHAT_COMPLETIONS, body).promptTokens());
  }

  @Test
  void responsesFunctionToolsUseTheSameFormula() {
    JsonNode c = COOKBOOK.get("case_tools");
    JsonNode function = c.get("tools").get(0).get("function");
    ObjectNode flat = JSON.createObjectNode().put("type", "function");
    flat.setAll((ObjectNode) function);
    ObjectNode chat = body("gpt-4o");
    chat.set("messages", JSON.createArrayNode().add(c.get("messages").get(1)));
    chat.set("tools", c.get("tools"));
    ObjectNode responses = body("gpt-4o");
    responses.set("input", c.get("messages").get(1).get("content"));
    responses.set("tools", JSON.createArrayNode().add(flat));
    assertEquals(
        parse(ApiKind.CHAT_COMPLETIONS, chat).promptTokens(),
        parse(ApiKind.RESPONSES, responses).promptTokens());
  }

  // ------------------------------------------------------------------ measured usage

  @TestFactory
  List<DynamicTest> measuredUsage() {
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode c : MEASURED.get("cases")) {
      if (c.has("request")) {
        tests.add(DynamicTest.dynamicTest(c.get("id").asText(), () -> checkMeasured(c)));
      }
      if (c.has("items")) {
        int i = 0;
        for (JsonNode item : c.get("items")) {
          if (item.has("request") && item.has("derived_cookbook_estimate")) {
            tests.add(
                DynamicTest.dynamicTest(
                    c.get("id").asText() + "[" + i++ + "] cookbook estimate",
                    () -> {
                      ApiKind api =
                          ApiKind.fromPath(c.get("endpoint").asText().split(",")[0].trim());
                      assertEquals(
                          item.get("derived_cookbook_estimate").asInt(),
                          parse(api, item.get("request")).promptTokens());
                    }));
          }
        }
      }
    }
    return tests;
  }

  private void checkMeasured(JsonNode c) {
    String endpoint = c.get("endpoint").asText().split(" ")[0];
    ApiKind api = ApiKind.fromPath(endpoint);
    JsonNode usage = c.get("usage");
    int measured =
        usage.has("prompt_tokens")
            ? usage.get("prompt_tokens").asInt()
            : usage.get("input_tokens").asInt();
    JsonNode derived = c.get("derived");
    Integer estimate = null;
    for (String key :
        List.of(
            "cookbook_prompt_estimate",
            "cookbook_prompt_estimate_as_single_user_message",
            "input_tokens",
            "prompt_tokens")) {
      if (derived.has(key)) {
        estimate = derived.get(key).asInt();
      }
    }
    // only where the fixture's own estimate reproduces the API is the match exact
    assertEquals(measured, estimate.intValue(), "fixture: derived estimate matches the API");
    ObjectNode request = c.get("request").deepCopy();
    String encoding = c.get("encoding").asText();
    Function<String, String> configured = m -> null;
    if (request.has("model")) {
      assertEquals(encoding, Encodings.nameFor(request.get("model").asText()), "model table");
    } else { // the spec example names no model: configure the fixture's encoding
      request.put("model", "model-of-" + c.get("id").asText());
      configured = m -> encoding;
    }
    assertEquals(measured, parse(api, request, configured).promptTokens());
  }

  // ------------------------------------------------------------------ fixture requests

  @Test
  void chatFixtureRequests() {
    JsonNode plain = Fixtures.json("chat_completions/request.json");
    ParsedRequest r = parse(ApiKind.CHAT_COMPLETIONS, plain);
    assertEquals(plain.get("model").asText(), r.model());
    assertEquals(-1, r.maxOutputTokens());
    assertEquals(1, r.n());
    assertFalse(r.stream());
    assertFalse(r.partial());
    assertEquals(measuredPromptTokensFor(plain.get("messages")), r.promptTokens());

    JsonNode streaming = Fixtures.json("chat_completions/request_stream_include_usage.json");
    ParsedRequest s = parse(ApiKind.CHAT_COMPLETIONS, streaming);
    assertTrue(s.stream());
    assertEquals(
        streaming.get("stream_options").get("include_usage").asBoolean(), s.includeUsage());
    assertEquals(r.promptTokens(), s.promptTokens());

    JsonNode parts = Fixtures.json("chat_completions/request_content_parts_and_limits.json");
    ParsedRequest p = parse(ApiKind.CHAT_COMPLETIONS, parts);
    assertEquals(parts.get("n").asInt(), p.n());
    assertEquals(parts.get("max_completion_tokens").asLong(), p.maxOutputTokens());
    // text parts count like the same text as a string
    ObjectNode asStrings = parts.deepCopy();
    for (JsonNode m : asStrings.get("messages")) {
      if (m.get("content").isArray()) {
        StringBuilder sb = new StringBuilder();
        m.get("content").forEach(part -> sb.append(part.get("text").asText()));
        ((ObjectNode) m).put("content", sb.toString());
      }
    }
    assertEquals(parse(ApiKind.CHAT_COMPLETIONS, asStrings).promptTokens(), p.promptTokens());
  }

  /** API prompt_tokens of a measured chat case with exactly these messages. */
  private static int measuredPromptTokensFor(JsonNode messages) {
    for (JsonNode c : MEASURED.get("cases")) {
      if (c.path("request").path("messages").equals(messages)) {
        return c.get("usage").get("prompt_tokens").asInt();
      }
    }
    throw new AssertionError("no measured case with messages " + messages);
  }

  @Test
  void responsesFixtureRequests() {
    JsonNode string = Fixtures.json("responses/request_string.json");
    int measured = -1;
    for (JsonNode c : MEASURED.get("cases")) {
      if (c.path("request").equals(string)) {
        measured = c.get("usage").get("input_tokens").asInt();
      }
    }
    ParsedRequest r = parse(ApiKind.RESPONSES, string);
    assertEquals(measured, r.promptTokens());
    assertEquals(-1, r.maxOutputTokens());

    JsonNode array = Fixtures.json("responses/request_array.json");
    ParsedRequest a = parse(ApiKind.RESPONSES, array);
    assertEquals(array.get("max_output_tokens").asLong(), a.maxOutputTokens());
    assertTrue(a.stream());
    assertTrue(a.includeUsage(), "Responses streams always end with usage");
    assertEquals(1, a.n());
    // consistent with chat: instructions as a system message, items as messages
    ObjectNode chat = body(array.get("model").asText());
    ArrayNode messages = chat.putArray("messages");
    messages.addObject().put("role", "system").put("content", array.get("instructions").asText());
    for (JsonNode item : array.get("input")) {
      ObjectNode m = item.deepCopy();
      m.remove("type");
      if (m.get("content").isArray()) {
        StringBuilder sb = new StringBuilder();
        m.get("content").forEach(part -> sb.append(part.get("text").asText()));
        m.put("content", sb.toString());
      }
      messages.add(m);
    }
    assertEquals(parse(ApiKind.CHAT_COMPLETIONS, chat).promptTokens(), a.promptTokens());
  }

  @Test
  void responsesItemsOfEveryKind() {
    ObjectNode body = body("gpt-4o");
    ArrayNode input = body.putArray("input");
    input.addObject().put("role", "user").put("content", "What's the weather like in SF?");
    input
        .addObject()
        .put("type", "function_call")
        .put("id", "fc_1")
        .put("call_id", "call_1")
        .put("name", "get_weather")
        .put("arguments", "{\"city\":\"SF\"}");
    input
        .addObject()
        .put("type", "function_call_output")
        .put("call_id", "call_1")
        .put("output", "{\"temp\":18}");
    input
        .addObject()
        .put("type", "reasoning")
        .put("id", "rs_1")
        .put("encrypted_content", "x".repeat(5000))
        .putArray("summary")
        .addObject()
        .put("type", "summary_text")
        .put("text", "Think.");
    Encodings e = SharedEncodings.get();
    var o200k = e.encoding("o200k_base");
    int expected =
        4 * 3
            + 3
            + o200k.countTokensOrdinary("user")
            + o200k.countTokensOrdinary("What's the weather like in SF?")
            + o200k.countTokensOrdinary("get_weather")
            + o200k.countTokensOrdinary("{\"city\":\"SF\"}")
            + o200k.countTokensOrdinary("{\"temp\":18}")
            + o200k.countTokensOrdinary("Think.");
    assertEquals(expected, parse(ApiKind.RESPONSES, body).promptTokens());
  }

  @Test
  void embeddingsFixtureRequests() {
    JsonNode string = Fixtures.json("embeddings/request_string.json");
    String encoding = Encodings.nameFor(string.get("model").asText());
    ParsedRequest r = parse(ApiKind.EMBEDDINGS, string);
    assertEquals(derivedCount(encoding, string.get("input").asText()), r.promptTokens());
    assertEquals(0, r.maxOutputTokens());
    assertEquals(1, r.n());
    assertFalse(r.stream());

    JsonNode strings = Fixtures.json("embeddings/request_string_array.json");
    int sum = 0;
    for (JsonNode s : strings.get("input")) {
      sum += derivedCount(Encodings.nameFor(strings.get("model").asText()), s.asText());
    }
    assertEquals(sum, parse(ApiKind.EMBEDDINGS, strings).promptTokens());

    JsonNode ids = Fixtures.json("embeddings/request_token_array.json");
    assertEquals(ids.get("input").size(), parse(ApiKind.EMBEDDINGS, ids).promptTokens());

    JsonNode idArrays = Fixtures.json("embeddings/request_token_arrays.json");
    int total = 0;
    for (JsonNode a : idArrays.get("input")) {
      total += a.size();
    }
    ParsedRequest t = parse(ApiKind.EMBEDDINGS, idArrays);
    assertEquals(total, t.promptTokens());
    assertEquals(0, t.maxOutputTokens());
  }

  @Test
  void completionsFixtureRequests() {
    JsonNode single = Fixtures.json("completions/request.json");
    String encoding = Encodings.nameFor(single.get("model").asText());
    ParsedRequest r = parse(ApiKind.COMPLETIONS, single);
    assertEquals(derivedCount(encoding, single.get("prompt").asText()), r.promptTokens());
    assertEquals(single.get("max_tokens").asLong(), r.maxOutputTokens());
    assertEquals(1, r.n());

    JsonNode array = Fixtures.json("completions/request_prompt_array_stream.json");
    int sum = 0;
    for (JsonNode s : array.get("prompt")) {
      sum += e(encoding).countTokensOrdinary(s.asText());
    }
    ParsedRequest a = parse(ApiKind.COMPLETIONS, array);
    assertEquals(sum, a.promptTokens());
    assertEquals(array.get("n").asInt() * array.get("prompt").size(), a.n(), "n per prompt");
    assertTrue(a.stream());
    assertTrue(a.includeUsage());

    ObjectNode tokens = body("gpt-3.5-turbo-instruct");
    tokens
        .putArray("prompt")
        .add(JSON.createArrayNode().add(1).add(2).add(3))
        .add(JSON.createArrayNode().add(4));
    tokens.put("best_of", 3).put("n", 2);
    ParsedRequest t = parse(ApiKind.COMPLETIONS, tokens);
    assertEquals(4, t.promptTokens());
    assertEquals(3 * 2, t.n(), "best_of completions for each of 2 prompts");
  }

  private static com.knuddels.jtokkit.api.Encoding e(String name) {
    return SharedEncodings.get().encoding(name);
  }

  // ------------------------------------------------------------------ details

  @Test
  void modelAfterMessagesCountsTheSame() {
    String first =
        "{\"model\":\"gpt-4\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time,\"}]}";
    String last =
        "{\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time,\"}],\"model\":\"gpt-4\"}";
    assertEquals(chat(first).promptTokens(), chat(last).promptTokens());
    assertEquals("gpt-4", chat(last).model());
  }

  @Test
  void specialTokenTextIsOrdinaryText() {
    String text = "hello <|endoftext|> world <|endofprompt|>";
    ParsedRequest r =
        chat(
            "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\""
                + text
                + "\"}]}");
    assertEquals(3 + 1 + e("o200k_base").countTokensOrdinary(text) + 3, r.promptTokens());
    ParsedRequest embeddings =
        counter.parse(
            ApiKind.EMBEDDINGS,
            utf8("{\"model\":\"text-embedding-3-small\",\"input\":\"<|endoftext|>\"}"),
            false,
            Set.of(),
            null);
    assertEquals(e("cl100k_base").countTokensOrdinary("<|endoftext|>"), embeddings.promptTokens());
  }

  @Test
  void maxOutputAndFlags() {
    ParsedRequest both =
        chat(
            "{\"model\":\"gpt-4o\",\"messages\":[],\"max_tokens\":10,\"max_completion_tokens\":20,\"n\":3,\"stream\":true}");
    assertEquals(20, both.maxOutputTokens());
    assertEquals(3, both.n());
    assertTrue(both.stream());
    assertFalse(both.includeUsage());
    ParsedRequest legacy =
        chat(
            "{\"model\":\"gpt-4o\",\"messages\":[],\"max_tokens\":10,\"n\":null,\"max_completion_tokens\":null}");
    assertEquals(10, legacy.maxOutputTokens());
    assertEquals(1, legacy.n());
    ParsedRequest none =
        chat("{\"model\":\"gpt-4o\",\"messages\":[],\"stream_options\":{\"include_usage\":true}}");
    assertEquals(-1, none.maxOutputTokens());
    assertTrue(none.includeUsage());
  }

  @Test
  void bodyFieldsAreTopLevelStrings() {
    ParsedRequest r =
        counter.parse(
            ApiKind.CHAT_COMPLETIONS,
            utf8(
                "{\"model\":\"gpt-4o\",\"user\":\"alice\",\"metadata\":{\"user\":\"bob\"},\"n\":1,"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"user\":\"carol\"}]}"),
            false,
            Set.of("user", "n", "model", "absent", "metadata"),
            null);
    assertEquals(Map.of("user", "alice", "model", "gpt-4o"), r.bodyFields());
  }

  @Test
  void mediaPartsAreEstimated() {
    String image =
        "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,"
            + "A".repeat(100_000)
            + "\",\"detail\":\"low\"}}";
    String imageAuto = "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x/y.png\"}}";
    String audio =
        "{\"type\":\"input_audio\",\"input_audio\":{\"data\":\""
            + "B".repeat(16_000)
            + "\",\"format\":\"mp3\"}}";
    String text = "{\"type\":\"text\",\"text\":\"What is in this image?\"}";
    ParsedRequest r =
        chat(
            "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":["
                + text
                + ","
                + image
                + ","
                + imageAuto
                + ","
                + audio
                + "]}]}");
    int expected =
        3
            + 1
            + e("o200k_base").countTokensOrdinary("What is in this image?")
            + 3
            + Cookbook.IMAGE_LOW_DETAIL_TOKENS
            + Cookbook.IMAGE_TOKENS
            + (16_000 * 3 / 4 + Cookbook.AUDIO_BYTES_PER_TOKEN - 1)
                / Cookbook.AUDIO_BYTES_PER_TOKEN;
    assertEquals(expected, r.promptTokens());

    String responses =
        "{\"model\":\"gpt-4o\",\"input\":[{\"role\":\"user\",\"content\":["
            + "{\"type\":\"input_image\",\"image_url\":\"https://x/y.png\",\"detail\":\"low\"},"
            + "{\"type\":\"input_file\",\"file_id\":\"file-1\"}]}]}";
    assertEquals(
        3 + 1 + 3 + Cookbook.IMAGE_LOW_DETAIL_TOKENS + Cookbook.FILE_REFERENCE_TOKENS,
        counter.parse(ApiKind.RESPONSES, utf8(responses), false, Set.of(), null).promptTokens());
  }

  @Test
  void assistantToolCallsAndToolMessagesAreCounted() {
    String args = "{\"location\":\"San Francisco, CA\"}";
    ParsedRequest r =
        chat(
            "{\"model\":\"gpt-4o\",\"messages\":["
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_abc\",\"type\":\"function\","
                + "\"function\":{\"name\":\"get_current_weather\",\"arguments\":"
                + JSON.valueToTree(args)
                + "}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"call_abc\",\"content\":\"18C\"}]}");
    var o = e("o200k_base");
    int expected =
        2 * 3
            + 3
            + o.countTokensOrdinary("assistant")
            + o.countTokensOrdinary("get_current_weather")
            + o.countTokensOrdinary(args)
            + o.countTokensOrdinary("tool")
            + o.countTokensOrdinary("call_abc")
            + o.countTokensOrdinary("18C");
    assertEquals(expected, r.promptTokens());
  }

  private ParsedRequest chat(String json) {
    return counter.parse(ApiKind.CHAT_COMPLETIONS, utf8(json), false, Set.of(), null);
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void configuredEncodingIsUsed() {
    String json = "{\"model\":\"my-model\",\"input\":\"お誕生日おめでとう\"}";
    ParsedRequest cl =
        counter.parse(
            ApiKind.EMBEDDINGS,
            utf8(json),
            false,
            Set.of(),
            m -> m.equals("my-model") ? "cl100k_base" : null);
    assertEquals(derivedCount("cl100k_base", "お誕生日おめでとう"), cl.promptTokens());
    ParsedRequest dflt = counter.parse(ApiKind.EMBEDDINGS, utf8(json), false, Set.of(), m -> null);
    assertEquals(derivedCount("o200k_base", "お誕生日おめでとう"), dflt.promptTokens());
  }
}
