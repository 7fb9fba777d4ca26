package dev.tollgate.tokens;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.knuddels.jtokkit.api.Encoding;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * Text any client can send — one long word, one character repeated, random bytes — counts in time
 * linear (n log n) in its length and in bounded memory: with jtokkit's count for pieces up to
 * {@value MergeableRanks#EXACT_PIECE_BYTES} bytes, with a safe upper bound (one token per byte)
 * beyond.
 */
class LongTextCountingTest {
  private static final List<String> ENCODINGS =
      List.of("o200k_base", "cl100k_base", "p50k_base", "r50k_base");
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  /** Texts of about {@code n} characters that are one piece, or few, in every encoding. */
  private static List<String> shapes(int n, long seed) {
    Random random = new Random(seed);
    List<String> texts = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    while (word.length() < n) {
      word.append((char) ('a' + random.nextInt(26)));
    }
    texts.add(word.toString());
    texts.add("a".repeat(n));
    texts.add("!".repeat(n));
    texts.add(" ".repeat(n) + "x");
    texts.add("\n".repeat(n));
    texts.add("é".repeat(n));
    texts.add("中".repeat(n));
    texts.add("\uD83D\uDE00".repeat(n / 2));
    StringBuilder mixed = new StringBuilder();
    String[] scripts = {
      "abcXYZ", "ÄÖÜäöüß", "жзийЖЗ", "中文字", "ひらがな", "אבג", "عربي", "हिन्दी", "0123"
    };
    while (mixed.length() < n) {
      mixed.append(scripts[random.nextInt(scripts.length)].charAt(random.nextInt(3)));
    }
    texts.add(mixed.toString());
    byte[] bytes = new byte[n];
    random.nextBytes(bytes);
    texts.add(new String(bytes, StandardCharsets.UTF_8));
    return texts;
  }

  private static String describe(String s) {
    return s.length()
        + " chars starting "
        + s.codePoints().limit(8).mapToObj(Integer::toHexString).toList();
  }

  @Test
  void longPiecesCountAsJtokkitInEveryEncoding() {
    for (String name : ENCODINGS) {
      Encoding reference = SharedEncodings.raw(name);
      Encoding tollgate = SharedEncodings.get().encoding(name);
      for (int n : new int[] {100, 300, 1000, 5000, 20_000}) {
        for (String s : shapes(n, n)) {
          String text = CountingEncoding.wellFormed(s);
          assertEquals(
              reference.countTokensOrdinary(text),
              tollgate.countTokensOrdinary(s),
              () -> name + ": " + describe(s));
        }
      }
    }
  }

  @Test
  void theHeapMergeEqualsTiktokensLoopPieceByPiece() {
    MergeableRanks ranks = MergeableRanks.of(SharedEncodings.raw("cl100k_base"));
    Random random = new Random(7);
    String alphabet = "aaaabbcdeeefghiijklmnoopqrssttuvwxyz  AEIOU.,!'\n0123456789éü中文😀";
    for (int i = 0; i < 20_000; i++) {
      StringBuilder sb = new StringBuilder();
      int len = 2 + random.nextInt(80);
      for (int k = 0; k < len; k++) {
        sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      byte[] b = CountingEncoding.wellFormed(sb.toString()).getBytes(StandardCharsets.UTF_8);
      int n = Math.min(b.length, MergeableRanks.SHORT_PIECE_BYTES);
      if (ranks.rank(b, 0, n) < 0) {
        assertEquals(ranks.count(b, n), ranks.mergedCountLong(b, n), sb::toString);
      }
    }
  }

  @Test
  void piecesBeyondTheExactLimitCountOneTokenPerByteAnUpperBound() {
    int n = MergeableRanks.EXACT_PIECE_BYTES + 1;
    for (String name : ENCODINGS) {
      Encoding reference = SharedEncodings.raw(name);
      Encoding tollgate = SharedEncodings.get().encoding(name);
      for (String s :
          List.of(randomWord(n, 2), "a".repeat(n), " ".repeat(n) + "x", "é".repeat(n / 2 + 1))) {
        int bytes = s.getBytes(StandardCharsets.UTF_8).length;
        int exact = reference.countTokensOrdinary(s);
        int counted =
            tollgate.countTokensOrdinary("hello " + s + " world")
                - tollgate.countTokensOrdinary("hello  world");
        assertTrue(counted >= exact, name + ": " + counted + " < " + exact + " for " + describe(s));
        assertTrue(
            counted <= bytes + 2,
            name + ": " + counted + " > " + bytes + " bytes for " + describe(s));
      }
    }
  }

  @Test
  void timeAndMemoryGrowLinearlyWithTheLengthOfOneWord() {
    for (String name : ENCODINGS) {
      Encoding e = SharedEncodings.get().encoding(name);
      for (IntFunction<String> shape :
          List.<IntFunction<String>>of(
              n -> randomWord(n, 1), n -> "a".repeat(n), n -> "\n".repeat(n), n -> mixed(n, 3))) {
        String what = name + " " + shape.apply(8).substring(0, 2).replace("\n", "\\n");
        // merged exactly (the mixed shape has 2-byte letters), then beyond the exact limit
        assertLinear(e, shape, 8 << 10, 8, what);
        assertLinear(e, shape, 256 << 10, 8, what);
      }
    }
  }

  /**
   * 8x the text: a quadratic merge would take 64x the time, n log n about 10x; memory stays a few
   * bytes per byte. This thread's CPU time, best of several runs after a warm-up, so that other
   * processes on a busy machine or the JIT do not decide; the bound (5x the factor) sits between.
   */
  private static void assertLinear(
      Encoding e, IntFunction<String> shape, int size, int factor, String what) {
    String smallText = shape.apply(size);
    String largeText = shape.apply(size * factor);
    for (int i = 0; i < 5; i++) { // warm up
      e.countTokensOrdinary(largeText);
      e.countTokensOrdinary(smallText);
    }
    long[] small = cost(e, smallText);
    long[] large = cost(e, largeText);
    double timeRatio = large[0] / (double) Math.max(1, small[0]);
    assertTrue(
        timeRatio < 5 * factor,
        what
            + ": "
            + factor
            + "x the length ("
            + size
            + " chars) took "
            + timeRatio
            + "x the time");
    double bytesPerChar = large[1] / (double) (size * factor);
    assertTrue(bytesPerChar < 100, what + ": allocated " + bytesPerChar + " bytes per character");
  }

  @Test
  void aSevenMebibyteOneWordChatBodyCountsWithinBoundedMemory() {
    PromptCounter counter = new PromptCounter(SharedEncodings.get());
    for (String model : new String[] {"gpt-4o-mini", "gpt-4"}) {
      byte[] body =
          ("{\"model\":\""
                  + model
                  + "\",\"messages\":[{\"role\":\"user\",\"content\":\""
                  + randomWord(7 << 20, 5)
                  + "\"}]}")
              .getBytes(StandardCharsets.UTF_8);
      long before = THREADS.getCurrentThreadAllocatedBytes();
      long t0 = System.nanoTime();
      ParsedRequest parsed =
          counter.parse(ApiKind.CHAT_COMPLETIONS, body, false, Set.of(), m -> null);
      long ms = (System.nanoTime() - t0) / 1_000_000;
      long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
      assertTrue(
          parsed.promptTokens() >= 7 << 20, model + ": " + parsed.promptTokens() + " tokens");
      // jtokkit's own merge allocates about 200 bytes per byte here (1.4 GB)
      assertTrue(
          allocated < 16L * body.length,
          model
              + ": allocated "
              + allocated / body.length
              + " bytes per body byte in "
              + ms
              + " ms");
    }
  }

  @Test
  void oneRequestMergesAtMostItsBudgetOfLongPiecesExactly() {
    // 120 words of 60 KiB, each under the per-piece limit: merged exactly, they would cost about
    // a second; within one request only the first LONG_PIECE_BUDGET_BYTES are, the rest take the
    // bound
    StringBuilder content = new StringBuilder();
    for (int i = 0; i < 120; i++) {
      content.append(randomWord(60 << 10, i)).append(' ');
    }
    byte[] body =
        ("{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\""
                + content
                + "\"}]}")
            .getBytes(StandardCharsets.UTF_8);
    long exactWords = MergeableRanks.LONG_PIECE_BUDGET_BYTES / (60 << 10);
    long tokens =
        new PromptCounter(SharedEncodings.get())
            .parse(ApiKind.CHAT_COMPLETIONS, body, false, Set.of(), m -> null)
            .promptTokens();
    Encoding o200k = SharedEncodings.get().encoding("o200k_base");
    long expectedExact = 0;
    for (int i = 0; i < exactWords; i++) {
      expectedExact += o200k.countTokensOrdinary(randomWord(60 << 10, i));
    }
    assertTrue(
        expectedExact < exactWords * (60 << 10) * 3 / 4, "random words merge: " + expectedExact);
    long bound = expectedExact + (120 - exactWords) * (60L << 10);
    assertTrue(
        tokens >= bound && tokens <= bound + 200, "tokens " + tokens + ", expected about " + bound);
    // outside a request (ext_proc's deltas) there is no budget: every word still merges exactly
    for (int i = 0; i < 2 * exactWords; i++) {
      assertTrue(
          o200k.countTokensOrdinary(randomWord(60 << 10, i)) < (60 << 10) * 3 / 4, "word " + i);
    }
  }

  static String randomWord(int n, long seed) {
    Random random = new Random(seed);
    char[] c = new char[n];
    for (int i = 0; i < n; i++) {
      c[i] = (char) ('a' + random.nextInt(26));
    }
    return new String(c);
  }

  private static String mixed(int n, long seed) {
    Random random = new Random(seed);
    String letters = "aäbcdeéfghijklmnoöpqrsßtuüvwxyzжзий";
    char[] c = new char[n];
    for (int i = 0; i < n; i++) {
      c[i] = letters.charAt(random.nextInt(letters.length()));
    }
    return new String(c);
  }

  /** Best of seven: {CPU nanoseconds of this thread, bytes allocated} for counting {@code s}. */
  private static long[] cost(Encoding e, String s) {
    long best = Long.MAX_VALUE;
    long allocated = 0;
    for (int i = 0; i < 7; i++) {
      long a0 = THREADS.getCurrentThreadAllocatedBytes();
      long t0 = THREADS.getCurrentThreadCpuTime();
      e.countTokensOrdinary(s);
      best = Math.min(best, THREADS.getCurrentThreadCpuTime() - t0);
      allocated = THREADS.getCurrentThreadAllocatedBytes() - a0;
    }
    return new long[] {best, allocated};
  }
}
