package dev.tollgate.tokens;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.IntArrayList;
import dev.tollgate.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every case of fixtures/openai/tokenizer/tiktoken_encode_cases.json: jtokkit's ids, and the counts
 * of Tollgate's encodings (its own o200k counter included). Special tokens: jtokkit's {@code
 * encode} refuses them, so cases with {@code allowed_special: all} are checked segment by segment
 * (ordinary text between specials, one id per special), and user text is counted with the ordinary
 * variant, where special-token strings are plain text.
 */
class TiktokenCasesTest {
  private static final JsonNode CASES = Fixtures.json("tokenizer/tiktoken_encode_cases.json");
  private static final Pattern SPECIAL = Pattern.compile("<\\|[a-z_]+\\|>");

  @TestFactory
  List<DynamicTest> encodeCases() {
    List<DynamicTest> tests = new ArrayList<>();
    for (String group : List.of("published", "counts_only", "derived")) {
      int i = 0;
      for (JsonNode c : CASES.get(group)) {
        String text = c.get("text").asText();
        String name =
            group
                + "["
                + i++
                + "] "
                + c.get("encoding").asText()
                + " "
                + (text.length() > 40 ? text.substring(0, 40) + "…(" + text.length() + ")" : text);
        tests.add(DynamicTest.dynamicTest(name, () -> check(c)));
      }
    }
    return tests;
  }

  private static void check(JsonNode c) {
    Encodings encodings = SharedEncodings.get();
    Encoding encoding = encodings.encoding(c.get("encoding").asText());
    Encoding reference = SharedEncodings.raw(c.get("encoding").asText());
    String text = c.get("text").asText();
    int count = c.get("count").asInt();
    boolean specials =
        "all".equals(c.path("allowed_special").asText()) && SPECIAL.matcher(text).find();
    if (specials) {
      assertThrows(UnsupportedOperationException.class, () -> reference.encode(text));
      List<String> segments = new ArrayList<>();
      Matcher m = SPECIAL.matcher(text);
      int at = 0;
      int specialCount = 0;
      while (m.find()) {
        segments.add(text.substring(at, m.start()));
        at = m.end();
        specialCount++;
      }
      segments.add(text.substring(at));
      int total = specialCount;
      List<Integer> flat = new ArrayList<>();
      for (int s = 0; s < segments.size(); s++) {
        IntArrayList ids = reference.encodeOrdinary(segments.get(s));
        total += ids.size();
        flat.addAll(ids.boxed());
        if (s < segments.size() - 1) {
          flat.add(null); // the special token's id
        }
      }
      assertEquals(count, total, "count with specials");
      if (c.hasNonNull("ids")) {
        JsonNode ids = c.get("ids");
        assertEquals(flat.size(), ids.size());
        for (int k = 0; k < flat.size(); k++) {
          if (flat.get(k) != null) {
            assertEquals(ids.get(k).asInt(), flat.get(k).intValue(), "id " + k);
          }
        }
      }
      return;
    }
    List<Integer> expected = expectedIds(c);
    if (expected != null) {
      assertEquals(expected, reference.encodeOrdinary(text).boxed(), "ids");
    }
    assertEquals(count, reference.countTokensOrdinary(text), "jtokkit count");
    assertEquals(count, encoding.countTokensOrdinary(text), "Tollgate count");
    char[] padded = ("«" + text + "»").toCharArray();
    assertEquals(
        count,
        ((CountingEncoding) encoding).countOrdinary(padded, 1, text.length()),
        "Tollgate count of a slice");
  }

  /**
   * The case's ids, from {@code ids} or an {@code ids_rule} like {@code [24794] * 250}; null if
   * none.
   */
  private static List<Integer> expectedIds(JsonNode c) {
    List<Integer> ids = new ArrayList<>();
    if (c.hasNonNull("ids")) {
      c.get("ids").forEach(id -> ids.add(id.asInt()));
      return ids;
    }
    if (c.hasNonNull("ids_rule")) {
      Matcher m = Pattern.compile("\\[(\\d+)\\] \\* (\\d+)").matcher(c.get("ids_rule").asText());
      assertTrue(m.matches(), "ids_rule " + c.get("ids_rule"));
      for (int k = 0; k < Integer.parseInt(m.group(2)); k++) {
        ids.add(Integer.parseInt(m.group(1)));
      }
      return ids;
    }
    return null;
  }

  @TestFactory
  List<DynamicTest> roundtrips() {
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode v : CASES.get("roundtrip").get("values")) {
      for (String name : Encodings.knownEncodingNames()) {
        tests.add(
            DynamicTest.dynamicTest(
                name + " " + v.asText(),
                () -> {
                  Encoding e = SharedEncodings.get().encoding(name);
                  assertEquals(v.asText(), e.decode(e.encodeOrdinary(v.asText())));
                }));
      }
    }
    return tests;
  }

  @TestFactory
  List<DynamicTest> specialTokenTextIsOrdinary() {
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode c : CASES.get("special_tokens").get("ordinary_cases_derived")) {
      String mode = c.get("mode").asText();
      tests.add(
          DynamicTest.dynamicTest(
              c.get("encoding").asText() + " " + mode + " " + c.get("text").asText(),
              () -> {
                Encoding e = SharedEncodings.get().encoding(c.get("encoding").asText());
                String text = c.get("text").asText();
                if (c.has("expect")) {
                  assertTrue(c.get("expect").asText().startsWith("error"));
                  assertThrows(UnsupportedOperationException.class, () -> e.encode(text));
                  assertThrows(UnsupportedOperationException.class, () -> e.countTokens(text));
                } else {
                  List<Integer> expected = new ArrayList<>();
                  c.get("ids").forEach(id -> expected.add(id.asInt()));
                  assertEquals(expected, e.encodeOrdinary(text).boxed());
                  assertEquals(c.get("count").asInt(), e.countTokensOrdinary(text));
                }
              }));
    }
    return tests;
  }
}
