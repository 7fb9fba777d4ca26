package dev.tollgate.response;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.knuddels.jtokkit.api.Encoding;
import dev.tollgate.tokens.ApiKind;
import dev.tollgate.tokens.SharedEncodings;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The provider's usage is checked before it is believed, in JSON bodies and in streams alike. */
class ProviderUsageTest {
  private static final String DELTA =
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello world\"}}]}\n\n";
  private static Encoding o200k;

  @BeforeAll
  static void load() {
    o200k = SharedEncodings.get().encodingFor("gpt-4o", null);
  }

  /** The usage settled for a JSON body and for a stream (one delta, then the usage chunk). */
  static List<Usage> bothWays(String usageJson, List<ResponseEvent> seen) {
    List<Usage> out = new ArrayList<>();
    for (boolean stream : new boolean[] {false, true}) {
      String body =
          stream
              ? DELTA + "data: {\"choices\":[],\"usage\":" + usageJson + "}\n\ndata: [DONE]\n\n"
              : "{\"choices\":[{\"index\":0,\"message\":{\"content\":\"Hello world\"}}],\"usage\":"
                  + usageJson
                  + "}";
      ResponseUsage u =
          new ResponseUsage(
              ApiKind.CHAT_COMPLETIONS, o200k, 14, BufferBudget.unlimited(), seen::add);
      u.streaming(stream);
      byte[] b = body.getBytes(StandardCharsets.UTF_8);
      u.feed(b, 0, b.length);
      u.finish();
      out.add(u.usage());
    }
    return out;
  }

  @Test
  void malformedUsageIsNotBelievedAndTheDeltasCountInstead() {
    String[] refused = {
      "{\"prompt_tokens\":-5,\"completion_tokens\":3}",
      "{\"prompt_tokens\":5,\"completion_tokens\":-3}",
      "{\"prompt_tokens\":\"5\",\"completion_tokens\":3}",
      "{\"prompt_tokens\":5,\"completion_tokens\":\"3\"}",
      "{\"prompt_tokens\":5.5,\"completion_tokens\":3}",
      "{\"prompt_tokens\":5,\"completion_tokens\":3e2}",
      "{\"prompt_tokens\":null,\"completion_tokens\":3}",
      "{\"prompt_tokens\":true,\"completion_tokens\":3}",
      "{\"prompt_tokens\":-99999999999999999999999,\"completion_tokens\":3}",
      "{\"prompt_tokens\":5,\"completion_tokens\":3,\"prompt_tokens_details\":{\"cached_tokens\":-1}}",
      "{\"prompt_tokens\":5,\"completion_tokens\":3,\"prompt_tokens_details\":7}",
      "{\"prompt_tokens\":5,\"completion_tokens\":3,\"completion_tokens_details\":{\"reasoning_tokens\":\"1\"}}",
      "{\"input_tokens\":5,\"output_tokens\":-1}",
      "\"lots\"",
      "[5,3]",
    };
    long hello = o200k.countTokensOrdinary("Hello world");
    for (String r : refused) {
      List<ResponseEvent> seen = new ArrayList<>();
      for (Usage u : bothWays(r, seen)) {
        assertFalse(u.fromProvider(), r);
        assertEquals(14, u.inputTokens(), "the admission's count: " + r);
        assertEquals(hello, u.outputTokens(), "the deltas: " + r);
      }
      assertEquals(List.of(ResponseEvent.USAGE_REFUSED, ResponseEvent.USAGE_REFUSED), seen, r);
    }
  }

  @Test
  void refusedUsageIsNotReportedEvenThroughTheOldConstructor() {
    byte[] body =
        "{\"choices\":[],\"usage\":{\"prompt_tokens\":\"12\",\"completion_tokens\":-4}}"
            .getBytes(StandardCharsets.UTF_8);
    Usage u = ResponseUsageTest.run(ApiKind.CHAT_COMPLETIONS, false, body);
    assertFalse(u.fromProvider());
    assertEquals(14, u.inputTokens());
    assertEquals(0, u.outputTokens());
  }

  @Test
  void absurdCountsAreClampedSoSumsAndPricesCannotOverflow() {
    String[] absurd = {
      "{\"prompt_tokens\":9223372036854775807,\"completion_tokens\":9223372036854775807}",
      "{\"prompt_tokens\":99999999999999999999999999,\"completion_tokens\":123456789012345678901234567890}",
      "{\"prompt_tokens\":5000000000,\"completion_tokens\":7000000000}",
    };
    for (String a : absurd) {
      List<ResponseEvent> seen = new ArrayList<>();
      for (Usage u : bothWays(a, seen)) {
        assertTrue(u.fromProvider(), a);
        assertEquals(ProviderUsage.MAX_TOKENS, u.inputTokens(), a);
        assertEquals(ProviderUsage.MAX_TOKENS, u.outputTokens(), a);
        assertTrue(u.totalTokens() > 0, "no overflow: " + a);
      }
      assertEquals(List.of(ResponseEvent.USAGE_CLAMPED, ResponseEvent.USAGE_CLAMPED), seen, a);
    }
  }

  @Test
  void partsLargerThanTheirWholeAreClampedToIt() {
    List<ResponseEvent> seen = new ArrayList<>();
    for (Usage u :
        bothWays(
            "{\"prompt_tokens\":10,\"completion_tokens\":4,\"prompt_tokens_details\":{\"cached_tokens\":50},"
                + "\"completion_tokens_details\":{\"reasoning_tokens\":9}}",
            seen)) {
      assertEquals(new Usage(10, 10, 4, 4, true), u);
    }
    assertEquals(List.of(ResponseEvent.USAGE_CLAMPED, ResponseEvent.USAGE_CLAMPED), seen);
    // Responses shape
    Usage r =
        ResponseUsageTest.run(
            ApiKind.RESPONSES,
            false,
            ("{\"status\":\"completed\",\"usage\":{\"input_tokens\":8,"
                    + "\"input_tokens_details\":{\"cached_tokens\":9},\"output_tokens\":2}}")
                .getBytes(StandardCharsets.UTF_8));
    assertEquals(new Usage(8, 8, 2, 0, true), r);
  }

  @Test
  void wellFormedUsageIsTakenAsItIsAndNullUsageIsNoReport() {
    List<ResponseEvent> seen = new ArrayList<>();
    for (Usage u :
        bothWays(
            "{\"prompt_tokens\":12,\"completion_tokens\":0,\"total_tokens\":12,"
                + "\"prompt_tokens_details\":null,\"completion_tokens_details\":{\"reasoning_tokens\":0}}",
            seen)) {
      assertEquals(new Usage(12, 0, 0, 0, true), u);
    }
    for (Usage u : bothWays("null", seen)) {
      assertFalse(u.fromProvider());
    }
    assertEquals(List.of(), seen, "nothing refused or clamped");
  }

  @Test
  void aRefusedUsageLeavesTheKeptDeltasAndALaterGoodUsageStillWins() {
    String stream =
        DELTA
            + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":-1}}\n\n"
            + DELTA
            + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":6,\"completion_tokens\":2}}\n\n";
    assertEquals(
        new Usage(6, 0, 2, 0, true),
        ResponseUsageTest.run(
            ApiKind.CHAT_COMPLETIONS, true, stream.getBytes(StandardCharsets.UTF_8)));
    String cut = DELTA + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":-1}}\n\n" + DELTA;
    Usage u =
        ResponseUsageTest.run(ApiKind.CHAT_COMPLETIONS, true, cut.getBytes(StandardCharsets.UTF_8));
    assertFalse(u.fromProvider());
    assertEquals(
        2 * o200k.countTokensOrdinary("Hello world"),
        u.outputTokens(),
        "both deltas, none forgotten");
  }
}
