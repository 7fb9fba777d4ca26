package dev.tollgate.tokens;

import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingResult;
import com.knuddels.jtokkit.api.IntArrayList;

/**
 * A jtokkit encoding under a tiktoken name, with an optional faster ordinary-text counter and a
 * counting method over a slice of a char array (Jackson's text buffer, without a copy).
 *
 * <p>Ordinary-text counts take linear time and bounded memory for any text: {@code o200k_base}
 * through {@link O200kCounter}; the other encodings through jtokkit when the text has no long run
 * (so its pieces are short), else through {@link PatternCounter}.
 *
 * <p>A lone surrogate (possible in JSON: {@code "\ud800"}) is read as U+FFFD, as tiktoken does
 * ({@code encode("utf-16", "surrogatepass").decode("utf-16", "replace")}); jtokkit alone would
 * encode it as {@code ?} (o200k) or fail an assertion (cl100k).
 */
final class CountingEncoding implements Encoding {
  private final String name;
  private final Encoding jtokkit;
  private final O200kCounter fast;
  private final PatternCounter longText;

  /**
   * @param fast the o200k counter, or null
   * @param longText the counter for text with long runs, or null for jtokkit alone
   */
  CountingEncoding(String name, Encoding jtokkit, O200kCounter fast, PatternCounter longText) {
    this.name = name;
    this.jtokkit = jtokkit;
    this.fast = fast;
    this.longText = longText;
  }

  CountingEncoding withName(String alias) {
    return new CountingEncoding(alias, jtokkit, fast, longText);
  }

  /** The jtokkit encoding this counts like ({@code o200k_base} for {@code o200k_harmony}). */
  String baseName() {
    return jtokkit.getName();
  }

  /** Tokens of {@code chars[offset, offset + length)} as ordinary text (special tokens as text). */
  int countOrdinary(char[] chars, int offset, int length) {
    if (length == 0) {
      return 0;
    }
    if (fast != null) {
      return fast.count(chars, offset, offset + length);
    }
    return ordinary(wellFormed(new String(chars, offset, length)));
  }

  private int ordinary(String wellFormed) {
    if (longText != null && PatternCounter.hasLongRun(wellFormed)) {
      return longText.count(wellFormed);
    }
    return jtokkit.countTokensOrdinary(wellFormed);
  }

  /** The text with every lone surrogate replaced by U+FFFD (the same string if there is none). */
  static String wellFormed(String text) {
    int n = text.length();
    for (int i = 0; i < n; i++) {
      char c = text.charAt(i);
      if (Character.isSurrogate(c)) {
        if (Character.isHighSurrogate(c)
            && i + 1 < n
            && Character.isLowSurrogate(text.charAt(i + 1))) {
          i++;
        } else {
          return replaceLoneSurrogates(text);
        }
      }
    }
    return text;
  }

  private static String replaceLoneSurrogates(String text) {
    char[] chars = text.toCharArray();
    for (int i = 0; i < chars.length; i++) {
      char c = chars[i];
      if (Character.isSurrogate(c)) {
        if (Character.isHighSurrogate(c)
            && i + 1 < chars.length
            && Character.isLowSurrogate(chars[i + 1])) {
          i++;
        } else {
          chars[i] = '\uFFFD';
        }
      }
    }
    return new String(chars);
  }

  @Override
  public int countTokensOrdinary(String text) {
    if (fast != null) {
      char[] chars = text.toCharArray();
      return fast.count(chars, 0, chars.length);
    }
    return ordinary(wellFormed(text));
  }

  @Override
  public IntArrayList encode(String text) {
    return jtokkit.encode(wellFormed(text));
  }

  @Override
  public EncodingResult encode(String text, int maxTokens) {
    return jtokkit.encode(wellFormed(text), maxTokens);
  }

  @Override
  public IntArrayList encodeOrdinary(String text) {
    return jtokkit.encodeOrdinary(wellFormed(text));
  }

  @Override
  public EncodingResult encodeOrdinary(String text, int maxTokens) {
    return jtokkit.encodeOrdinary(wellFormed(text), maxTokens);
  }

  @Override
  public int countTokens(String text) {
    return jtokkit.countTokens(wellFormed(text));
  }

  @Override
  public String decode(IntArrayList tokens) {
    return jtokkit.decode(tokens);
  }

  @Override
  public byte[] decodeBytes(IntArrayList tokens) {
    return jtokkit.decodeBytes(tokens);
  }

  @Override
  public String getName() {
    return name;
  }

  @Override
  public String toString() {
    return name;
  }
}
