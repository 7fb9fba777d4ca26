package dev.tollgate.tokens;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.Fixtures;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The model table against tiktoken's model.py (fixtures/openai/tokenizer/model_to_encoding.json).
 */
class EncodingsTest {
  private static final JsonNode TABLE = Fixtures.json("tokenizer/model_to_encoding.json");

  /** Tiktoken's lookup rule applied to the fixture tables. */
  private static String expected(String model) {
    JsonNode exact = TABLE.get("MODEL_TO_ENCODING").get(model);
    if (exact != null) {
      return exact.asText();
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = TABLE.get("MODEL_PREFIX_TO_ENCODING").fields();
        it.hasNext(); ) {
      Map.Entry<String, JsonNode> rule = it.next();
      if (model.startsWith(rule.getKey())) {
        return rule.getValue().asText();
      }
    }
    return null;
  }

  @TestFactory
  List<DynamicTest> everyExactNameAndPrefixMapsAsTiktoken() {
    Map<String, String> cases = new LinkedHashMap<>();
    TABLE.get("MODEL_TO_ENCODING").fieldNames().forEachRemaining(m -> cases.put(m, expected(m)));
    TABLE
        .get("MODEL_PREFIX_TO_ENCODING")
        .fieldNames()
        .forEachRemaining(
            prefix -> {
              for (String suffix : List.of("2024-08-06", "mini", "x")) {
                String model = prefix + (prefix.endsWith("-") ? "" : "-") + suffix;
                cases.put(model, expected(model));
              }
            });
    TABLE
        .get("test_expectations")
        .fields()
        .forEachRemaining(e -> cases.put(e.getKey(), e.getValue().asText()));
    List<DynamicTest> tests = new ArrayList<>();
    cases.forEach(
        (model, encoding) ->
            tests.add(
                DynamicTest.dynamicTest(
                    model + " -> " + encoding,
                    () -> assertEquals(encoding, Encodings.nameFor(model), model))));
    return tests;
  }

  @Test
  void currentModelFamiliesAndUnknownModels() {
    for (String m :
        List.of(
            "gpt-4o",
            "gpt-4o-mini",
            "gpt-4.1",
            "gpt-4.1-nano",
            "o1",
            "o1-mini",
            "o3",
            "o3-pro",
            "o4-mini",
            "gpt-5",
            "gpt-5-mini",
            "gpt-5.4",
            "chatgpt-4o-latest")) {
      assertEquals("o200k_base", Encodings.nameFor(m), m);
    }
    for (String m :
        List.of(
            "gpt-4",
            "gpt-4-turbo",
            "gpt-3.5-turbo",
            "gpt-3.5-turbo-instruct",
            "text-embedding-3-small",
            "text-embedding-3-large",
            "text-embedding-ada-002")) {
      assertEquals("cl100k_base", Encodings.nameFor(m), m);
    }
    assertEquals(Encodings.DEFAULT_ENCODING, Encodings.nameFor("some-future-model"));
    assertEquals(Encodings.DEFAULT_ENCODING, Encodings.nameFor(null));
    assertEquals(
        TABLE.get("cookbook_fallback").asText().contains("o200k_base"),
        Encodings.DEFAULT_ENCODING.equals("o200k_base"));
  }

  @Test
  void everyTableEncodingIsKnownAndLoads() {
    Encodings encodings = SharedEncodings.get();
    List<String> names = new ArrayList<>();
    TABLE.get("MODEL_TO_ENCODING").forEach(n -> names.add(n.asText()));
    TABLE.get("MODEL_PREFIX_TO_ENCODING").forEach(n -> names.add(n.asText()));
    for (String name : names) {
      assertTrue(Encodings.isKnownEncodingName(name), name);
      assertEquals(name, encodings.encoding(name).getName());
    }
    for (String name :
        List.of("o200k_base", "cl100k_base", "p50k_base", "r50k_base", "p50k_edit")) {
      assertTrue(Encodings.knownEncodingNames().contains(name), name);
    }
    assertFalse(Encodings.isKnownEncodingName("o100k_base"));
    assertFalse(Encodings.isKnownEncodingName(null));
  }

  @Test
  void configuredEncodingWinsAndUnknownNamesAreRejectedByName() {
    Encodings encodings = SharedEncodings.get();
    assertEquals("o200k_base", encodings.encodingFor("gpt-4o", null).getName());
    assertEquals("cl100k_base", encodings.encodingFor("gpt-4o", "cl100k_base").getName());
    assertEquals("cl100k_base", encodings.encodingFor("my-local-llama", "cl100k_base").getName());
    assertSame(encodings.encodingFor("gpt-4.1", null), encodings.encodingFor("gpt-5", null));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> encodings.encodingFor("gpt-4o", "bogus"));
    assertTrue(e.getMessage().contains("'bogus'"), e.getMessage());
    assertTrue(e.getMessage().contains("o200k_base"), e.getMessage());
  }
}
