package dev.tollgate.tokens;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.knuddels.jtokkit.api.Encoding;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Tollgate's o200k counter against jtokkit, the reference: the same character classes for every
 * code point, the same pieces as jtokkit's pattern, the same counts on random mixed text.
 */
class O200kCounterTest {
  /** jtokkit 1.1.0's o200k_base pattern (tiktoken's pat_str), compiled as jtokkit compiles it. */
  private static final Pattern O200K =
      Pattern.compile(
          String.join(
              "|",
              "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
              "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
              "\\p{N}{1,3}",
              " ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*",
              "\\s*[\\r\\n]+",
              "\\s+(?!\\S)",
              "\\s+"),
          Pattern.UNICODE_CHARACTER_CLASS);

  /** Code points that exercise every branch: classes, case folding, surrogates, white space. */
  private static final int[] ALPHABET = {
    'a', 'b', 'e', 'l', 'm', 'r', 's', 't', 'v', 'd', 'A', 'S', 'T', 'R', 'E', 'L', 'D', 'M', 'V',
    'z', 'Q', '0', '1', '7', ' ', ' ', ' ', '\t', '\n', '\r', '\u000B', '\f', '\'', '\'', '!', '.',
    ',', '/', '-', '"', '(', '{', '<', '|', '>', '_', '\u0000', '\u001C', '\u00A0', '\u0085',
    '\u1680', '\u2000', '\u2009', '\u200B', '\u2028', '\u2029', '\u202F', '\u205F', '\u3000',
    '\uFEFF', '\u180E', 'é', 'ß', 'ÿ', 'Ä', '\u017F', '\u212A', '\u0130', '\u0131', '\u01C5',
    '\u02B0', '\u0301', '\u0903', '\u20DD', '\u0915', '\u093F', '\u05D0', '\u0627', '\u0663',
    '\u0E01', '\u0E31', '中', '文', 'お', 'め', 'Ω', 'ж', 'Ж', '\u216B', '\u00B2', '\u00BD', '\u2460',
    '€', '©', '\u00AD', 0x1F600, 0x1F44D, 0x1D400, 0x1D41A, 0x1D7D8, 0x10400, 0x10428, 0x20000,
    0xE0001, 0xD800, 0xDC00, 0xDBFF
  };

  private static final Encoding JTOKKIT = SharedEncodings.jtokkitOnly().encoding("o200k_base");
  private static final CountingEncoding FAST =
      (CountingEncoding) SharedEncodings.get().encoding("o200k_base");

  @Test
  void classesMatchJavaRegexForEveryCodePoint() {
    Matcher letter = Pattern.compile("\\p{L}", Pattern.UNICODE_CHARACTER_CLASS).matcher("");
    Matcher upper =
        Pattern.compile("[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]", Pattern.UNICODE_CHARACTER_CLASS)
            .matcher("");
    Matcher lower =
        Pattern.compile("[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]", Pattern.UNICODE_CHARACTER_CLASS)
            .matcher("");
    Matcher number = Pattern.compile("\\p{N}", Pattern.UNICODE_CHARACTER_CLASS).matcher("");
    Matcher space = Pattern.compile("\\s", Pattern.UNICODE_CHARACTER_CLASS).matcher("");
    Matcher newline = Pattern.compile("[\\r\\n]", Pattern.UNICODE_CHARACTER_CLASS).matcher("");
    for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
      String s = new String(Character.toChars(cp));
      int expected =
          (letter.reset(s).matches() ? O200kCounter.LETTER : 0)
              | (upper.reset(s).matches() ? O200kCounter.UPPERISH : 0)
              | (lower.reset(s).matches() ? O200kCounter.LOWERISH : 0)
              | (number.reset(s).matches() ? O200kCounter.NUMBER : 0)
              | (space.reset(s).matches() ? O200kCounter.SPACE : 0)
              | (newline.reset(s).matches() ? O200kCounter.NEWLINE : 0);
      if (expected != O200kCounter.classOf(cp)) {
        assertEquals(expected, O200kCounter.classOf(cp), "classes of U+" + Integer.toHexString(cp));
      }
    }
  }

  @Test
  void contractionsFoldCaseAsJavaRegexForEveryBmpChar() {
    for (int c = 0; c < 0x10000; c++) {
      for (String tail : new String[] {"", "e", "l", "E"}) {
        String s = "a'" + (char) c + tail;
        assertPiecesMatch(s);
      }
    }
  }

  @Test
  void randomMixedTextSplitsAndCountsAsJtokkit() {
    Random random = new Random(20240719);
    for (int round = 0; round < 15_000; round++) {
      String s = randomText(random, random.nextInt(round % 100 == 0 ? 400 : 40));
      assertPiecesMatch(s);
      assertEquals(JTOKKIT.countTokensOrdinary(s), FAST.countTokensOrdinary(s), () -> dump(s));
    }
  }

  @Test
  void randomCodePointsFromTheWholeRange() {
    Random random = new Random(7);
    for (int round = 0; round < 5_000; round++) {
      StringBuilder sb = new StringBuilder();
      int len = random.nextInt(30);
      for (int i = 0; i < len; i++) {
        int cp =
            random.nextInt(4) == 0
                ? random.nextInt(Character.MAX_CODE_POINT + 1)
                : random.nextInt(0x3000);
        sb.appendCodePoint(cp);
      }
      String s = sb.toString();
      assertPiecesMatch(s);
      assertEquals(JTOKKIT.countTokensOrdinary(s), FAST.countTokensOrdinary(s), () -> dump(s));
    }
  }

  @Test
  void longPiecesCountAsJtokkit() {
    List<String> texts = new ArrayList<>();
    int max = O200kCounter.MAX_PIECE_BYTES;
    texts.add("a".repeat(max - 1));
    texts.add("a".repeat(max));
    texts.add("a".repeat(max + 1));
    texts.add(" " + "b".repeat(5 * max));
    texts.add("!".repeat(3 * max) + "\n\n/");
    texts.add("中".repeat(max));
    texts.add("é".repeat(max / 2 + 1));
    texts.add("\uD83D\uDE00".repeat(max / 4 + 1));
    texts.add(" ".repeat(4 * max) + "x");
    texts.add("\n".repeat(2 * max));
    texts.add("1".repeat(2 * max));
    texts.add("xY".repeat(2 * max));
    for (String s : texts) {
      assertPiecesMatch(s);
      assertEquals(JTOKKIT.countTokensOrdinary(s), FAST.countTokensOrdinary(s), () -> dump(s));
    }
  }

  @Test
  void loneSurrogatesCountAsReplacementCharacterInEveryEncoding() {
    for (String name : Encodings.knownEncodingNames()) {
      Encoding e = SharedEncodings.get().encoding(name);
      for (String s :
          List.of("a\uD800b", "\uDC00", "x \uD83D", "\uD83D\uD83D\uDE00 ok", "'\uDBFFs")) {
        String replaced = CountingEncoding.wellFormed(s);
        assertEquals(
            SharedEncodings.raw(name).countTokensOrdinary(replaced),
            e.countTokensOrdinary(s),
            name + " " + dump(s));
        assertEquals(SharedEncodings.raw(name).encodeOrdinary(replaced), e.encodeOrdinary(s));
      }
    }
    assertEquals(
        "a\uFFFDb\uD83D\uDE00\uFFFD", CountingEncoding.wellFormed("a\uD800b\uD83D\uDE00\uDC00"));
  }

  @Test
  void sliceCountsEqualStringCounts() {
    Random random = new Random(11);
    for (int round = 0; round < 2_000; round++) {
      String s = randomText(random, random.nextInt(60));
      String padded = randomText(random, 3) + s + randomText(random, 3);
      int from = padded.indexOf(s);
      assertEquals(
          JTOKKIT.countTokensOrdinary(s),
          FAST.countOrdinary(padded.toCharArray(), from, s.length()),
          () -> dump(s));
    }
  }

  private static String randomText(Random random, int length) {
    StringBuilder sb = new StringBuilder();
    while (sb.length() < length) {
      switch (random.nextInt(6)) {
        case 0 -> sb.append(" the");
        case 1 -> sb.append(random.nextBoolean() ? "'s" : "'LL");
        default -> sb.appendCodePoint(ALPHABET[random.nextInt(ALPHABET.length)]);
      }
    }
    return sb.toString();
  }

  private static void assertPiecesMatch(String s) {
    List<String> expected = new ArrayList<>();
    Matcher m = O200K.matcher(s);
    while (m.find()) {
      expected.add(m.group());
    }
    List<String> actual = new ArrayList<>();
    char[] a = s.toCharArray();
    for (int i = 0; i < a.length; ) {
      int end = O200kCounter.pieceEnd(a, i, a.length);
      actual.add(s.substring(i, end));
      i = end;
    }
    if (!expected.equals(actual)) {
      assertEquals(escape(expected), escape(actual), () -> dump(s));
    }
  }

  private static List<String> escape(List<String> pieces) {
    List<String> out = new ArrayList<>();
    for (String p : pieces) {
      out.add(dump(p));
    }
    return out;
  }

  private static String dump(String s) {
    StringBuilder sb = new StringBuilder();
    s.codePoints()
        .forEach(
            cp -> {
              if (cp >= 0x20 && cp < 0x7F) {
                sb.appendCodePoint(cp);
              } else {
                sb.append("\\u{").append(Integer.toHexString(cp)).append('}');
              }
            });
    return sb.toString();
  }
}
