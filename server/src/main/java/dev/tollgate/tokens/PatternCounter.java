package dev.tollgate.tokens;

import com.knuddels.jtokkit.api.Encoding;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Counts ordinary text of an encoding whose split is tiktoken's pattern ({@code pat_str}, compiled
 * as jtokkit compiles it, with {@code UNICODE_CHARACTER_CLASS}), merging each piece with {@link
 * MergeableRanks}: the same count as jtokkit in linear (merge: n log n) time and bounded memory
 * whatever the text. jtokkit merges a long piece with tree maps, about 200 bytes of heap per byte;
 * a multi-megabyte word would take the heap.
 *
 * <p>Used for text with a long run ({@link #hasLongRun}); other text goes to jtokkit, whose pieces
 * are then short. A piece is at most one character, a run of characters that are not white space,
 * then a run of white space, so with no run longer than {@value #LONG_RUN} characters no piece is
 * longer than {@code 2 * LONG_RUN + 1}.
 */
final class PatternCounter {
  /** Runs (of white space, or of anything else) longer than this take the linear path. */
  static final int LONG_RUN = 64;

  /** {@code r50k_base}, {@code p50k_base}, {@code p50k_edit} (and {@code gpt2}). */
  static final String R50K_PATTERN =
      "'(?:[sdmt]|ll|ve|re)| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

  /** {@code cl100k_base}. */
  static final String CL100K_PATTERN =
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
          + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

  private final Encoding jtokkit;
  private final Pattern pattern;
  private volatile MergeableRanks ranks;

  /**
   * @param jtokkit the encoding whose ranks to read (on first use: most processes never need them)
   * @param pattern the encoding's split pattern
   */
  PatternCounter(Encoding jtokkit, String pattern) {
    this.jtokkit = jtokkit;
    this.pattern = Pattern.compile(pattern, Pattern.UNICODE_CHARACTER_CLASS);
  }

  /** The pattern counter for a jtokkit encoding, or null when it has no known pattern. */
  static PatternCounter forEncoding(Encoding jtokkit) {
    switch (jtokkit.getName()) {
      case "r50k_base":
      case "p50k_base":
      case "p50k_edit":
        return new PatternCounter(jtokkit, R50K_PATTERN);
      case "cl100k_base":
        return new PatternCounter(jtokkit, CL100K_PATTERN);
      default:
        return null;
    }
  }

  /** Tokens of well-formed text (no lone surrogates: see {@link CountingEncoding#wellFormed}). */
  int count(String text) {
    MergeableRanks r = ranks();
    Matcher m = pattern.matcher(text);
    int count = 0;
    while (m.find()) {
      int from = m.start();
      int to = m.end();
      if (to - from > MergeableRanks.EXACT_PIECE_BYTES / 3
          && utf8Length(text, from, to) > MergeableRanks.EXACT_PIECE_BYTES) {
        count += utf8Length(text, from, to); // the upper bound MergeableRanks.count gives
        continue;
      }
      byte[] piece = text.substring(from, to).getBytes(StandardCharsets.UTF_8);
      count += r.count(piece, piece.length);
    }
    return count;
  }

  /** UTF-8 bytes of well-formed {@code text[from, to)}. */
  private static int utf8Length(String text, int from, int to) {
    int n = 0;
    for (int i = from; i < to; i++) {
      char c = text.charAt(i);
      n +=
          c < 0x80
              ? 1
              : c < 0x800
                  ? 2
                  : Character.isHighSurrogate(c) ? 2 : Character.isLowSurrogate(c) ? 2 : 3;
    }
    return n;
  }

  private MergeableRanks ranks() {
    MergeableRanks r = ranks;
    if (r == null) {
      synchronized (this) {
        r = ranks;
        if (r == null) {
          r = MergeableRanks.of(jtokkit);
          ranks = r;
        }
      }
    }
    return r;
  }

  /**
   * Whether the text has a run of white space, or of anything else, longer than {@value #LONG_RUN}.
   */
  static boolean hasLongRun(CharSequence text) {
    int n = text.length();
    if (n <= LONG_RUN) {
      return false;
    }
    int run = 0;
    boolean space = false;
    for (int i = 0; i < n; i++) {
      boolean s = (O200kCounter.classOf(text.charAt(i)) & O200kCounter.SPACE) != 0;
      if (s == space) {
        if (++run > LONG_RUN) {
          return true;
        }
      } else {
        space = s;
        run = 1;
      }
    }
    return false;
  }
}
