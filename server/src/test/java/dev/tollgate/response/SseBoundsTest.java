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

/** Streams that never end an event, and a byte budget shared by every stream. */
class SseBoundsTest {
  private static final byte[] USAGE_EVENT =
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":6,\"completion_tokens\":2}}\n\n"
          .getBytes(StandardCharsets.UTF_8);
  private static Encoding o200k;

  @BeforeAll
  static void load() {
    o200k = SharedEncodings.get().encodingFor("gpt-4o", null);
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void anEventThatNeverEndsIsCappedDroppedAndParsingResumesAtTheNextEvent() {
    List<String> events = new ArrayList<>();
    SseParser p =
        new SseParser((e, d) -> events.add(d), 1024, 64 << 10, BufferBudget.unlimited().lease());
    byte[] line = utf8("data: " + "x".repeat(1000) + "\n");
    int most = 0;
    for (int i = 0; i < 10_000; i++) { // ~10 MB of data lines, never a blank line
      p.feed(line);
      most = Math.max(most, p.retainedBytes());
    }
    assertTrue(most <= (64 << 10) + 1024, "held at most " + most);
    assertEquals(List.of(), events);
    p.feed(utf8("data: after\n\ndata: ok\n\n"));
    p.finish();
    assertEquals(1, p.droppedEvents());
    assertEquals(
        List.of("ok"), events, "the oversized event ends at its blank line; the next one is read");
  }

  @Test
  void aCappedEventIsCountedAndTheUsageAfterItIsTaken() {
    List<ResponseEvent> seen = new ArrayList<>();
    ResponseUsage u =
        new ResponseUsage(ApiKind.CHAT_COMPLETIONS, o200k, 14, BufferBudget.unlimited(), seen::add);
    u.streaming(true);
    byte[] line = utf8("data: {\"usage\":" + "1".repeat(4000) + "\n");
    long most = 0;
    for (int i = 0; i < 1000; i++) { // ~4 MB in one event
      u.feed(line, 0, line.length);
      most = Math.max(most, u.retainedBytes());
    }
    assertTrue(most <= ResponseUsage.MAX_EVENT_BYTES + 2 * 8192, "held at most " + most);
    u.feed(utf8("\n"), 0, 1);
    u.feed(USAGE_EVENT, 0, USAGE_EVENT.length);
    u.finish();
    assertEquals(new Usage(6, 0, 2, 0, true), u.usage());
    assertEquals(List.of(ResponseEvent.SSE_EVENT_DROPPED), seen);
    assertEquals(0, u.retainedBytes());
  }

  @Test
  void linesAndEventsAtTheirCapsAreKept() {
    List<String> events = new ArrayList<>();
    SseParser p = new SseParser((e, d) -> events.add(d), 16, 35, BufferBudget.unlimited().lease());
    String three =
        "data:12345678901\ndata:12345678901\ndata:12345678901\n"; // 11 + 1 + 11 + 1 + 11 = 35
    p.feed(utf8(three + "\n"));
    p.feed(utf8(three + "data:1\n\ndata: ok\n\n")); // 37
    p.finish();
    assertEquals(List.of("12345678901\n12345678901\n12345678901", "ok"), events);
    assertEquals(1, p.droppedEvents());
    assertEquals(0, p.droppedLines());
  }

  @Test
  void aStreamRefusedByTheSharedBudgetStopsReadingAndItsUsageIsUnknown() {
    BufferBudget budget = new BufferBudget(64 << 10);
    List<ResponseEvent> seen = new ArrayList<>();
    ResponseUsage hog = new ResponseUsage(ApiKind.CHAT_COMPLETIONS, o200k, 14, budget, seen::add);
    hog.streaming(true);
    byte[] delta =
        utf8("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello world\"}}]}\n\n");
    hog.feed(delta, 0, delta.length);
    byte[] big =
        utf8(
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + "long ".repeat(100_000));
    for (int i = 0; i < big.length; i += 8192) {
      hog.feed(big, i, Math.min(8192, big.length - i));
    }
    assertEquals(List.of(ResponseEvent.BUFFER_BUDGET_EXHAUSTED), seen);
    assertEquals(0, budget.used(), "everything given back at once");
    hog.feed(USAGE_EVENT, 0, USAGE_EVENT.length); // no longer read
    hog.finish();
    Usage u = hog.usage();
    assertFalse(u.fromProvider());
    assertEquals(14, u.inputTokens());
    assertEquals(
        o200k.countTokensOrdinary("Hello world"), u.outputTokens(), "the deltas seen before");

    // the next stream on the same budget is read as usual
    ResponseUsage fine = new ResponseUsage(ApiKind.CHAT_COMPLETIONS, o200k, 14, budget, seen::add);
    fine.streaming(true);
    fine.feed(USAGE_EVENT, 0, USAGE_EVENT.length);
    fine.finish();
    assertTrue(fine.usage().fromProvider());
    assertEquals(1, seen.size());
  }

  @Test
  void whenTheBudgetIsShortDeltasAreCountedAsTheyComeInsteadOfKept() {
    BufferBudget none = new BufferBudget(0);
    StringBuilder s = new StringBuilder();
    long expected = 0;
    for (int i = 0; i < 2000; i++) {
      String word = " word" + i;
      expected += o200k.countTokensOrdinary(word);
      s.append("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"")
          .append(word)
          .append("\"}}]}\n\n");
    }
    byte[] all = utf8(s.toString());
    List<ResponseEvent> seen = new ArrayList<>();
    ResponseUsage u = new ResponseUsage(ApiKind.CHAT_COMPLETIONS, o200k, 14, none, seen::add);
    u.streaming(true);
    long most = 0;
    for (int i = 0; i < all.length; i += 4096) {
      u.feed(all, i, Math.min(4096, all.length - i));
      most = Math.max(most, u.retainedBytes());
    }
    u.finish();
    assertTrue(most <= BufferBudget.FREE_BYTES_PER_STREAM, "held at most " + most);
    assertEquals(expected, u.usage().outputTokens());
    assertEquals(List.of(), seen, "counting early is not a failure");
  }

  @Test
  void leasesGiveBackWhatTheyTookAndNeverPassTheBudget() {
    BufferBudget b = new BufferBudget(100);
    BufferBudget.Lease one = b.lease();
    BufferBudget.Lease two = b.lease();
    assertTrue(one.tryGrow(BufferBudget.FREE_BYTES_PER_STREAM + 60));
    assertEquals(60, b.used());
    assertFalse(two.tryGrow(BufferBudget.FREE_BYTES_PER_STREAM + 41));
    assertEquals(0, two.held());
    assertTrue(two.tryGrow(BufferBudget.FREE_BYTES_PER_STREAM + 40));
    assertEquals(100, b.used());
    one.shrink(30);
    assertEquals(70, b.used());
    one.close();
    two.close();
    assertEquals(0, b.used());
    // what a stream could do without only takes the first half
    assertTrue(one.tryGrowOptional(BufferBudget.FREE_BYTES_PER_STREAM + 50));
    assertFalse(one.tryGrowOptional(1));
    assertTrue(two.tryGrow(BufferBudget.FREE_BYTES_PER_STREAM + 50));
    assertEquals(100, b.used());
    one.close();
    two.close();
    assertEquals(0, b.used());
  }
}
