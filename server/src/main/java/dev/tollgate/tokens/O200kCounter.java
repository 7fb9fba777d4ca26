package dev.tollgate.tokens;

import com.knuddels.jtokkit.api.Encoding;

/**
 * Counts {@code o200k_base} tokens of ordinary text with exactly jtokkit's (and tiktoken's) result,
 * without {@code java.util.regex}: the regex split is most of jtokkit's o200k cost.
 *
 * <p>Two steps, as in tiktoken. <b>Split</b>: {@link #pieceEnd} reproduces, alternative by
 * alternative and with the same backtracking outcome, what jtokkit's pattern (compiled with {@code
 * UNICODE_CHARACTER_CLASS}) matches:
 *
 * <pre>
 * 1 [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
 * 2 [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
 * 3 \p{N}{1,3}
 * 4  ?[^\s\p{L}\p{N}]+[\r\n/]*
 * 5 \s*[\r\n]+
 * 6 \s+(?!\S)
 * 7 \s+
 * </pre>
 *
 * <b>Merge</b>: each piece is encoded to UTF-8 (a lone surrogate as U+FFFD, as tiktoken reads it;
 * both are in the same class, so the split is unchanged) and counted by {@link MergeableRanks} over
 * the ranks read from jtokkit's own encoding: tiktoken's loop for short pieces, the same merge with
 * a heap for long ones. Both steps are linear (the merge n log n) in the length of any text, one
 * long word included.
 *
 * <p>Tested against jtokkit on every code point's classes and on random mixed-script text.
 */
final class O200kCounter {
  /** Pieces up to this many UTF-8 bytes are encoded in a per-thread buffer. */
  static final int MAX_PIECE_BYTES = MergeableRanks.SHORT_PIECE_BYTES;

  // character classes, one bit each
  static final int LETTER = 1; // \p{L}
  static final int UPPERISH = 2; // [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]
  static final int LOWERISH = 4; // [\p{Ll}\p{Lm}\p{Lo}\p{M}]
  static final int NUMBER = 8; // \p{N}
  static final int SPACE = 16; // \s with UNICODE_CHARACTER_CLASS (Unicode White_Space)
  static final int NEWLINE = 32; // [\r\n]

  private static final byte[] BMP = new byte[0x10000];

  static {
    for (int c = 0; c < BMP.length; c++) {
      BMP[c] = (byte) computeClass(c);
    }
  }

  private final MergeableRanks ranks;
  private final ThreadLocal<byte[]> scratch =
      ThreadLocal.withInitial(() -> new byte[MAX_PIECE_BYTES + 4]);

  O200kCounter(Encoding jtokkit) {
    this(MergeableRanks.of(jtokkit));
  }

  O200kCounter(MergeableRanks ranks) {
    this.ranks = ranks;
  }

  /** Tokens of {@code chars[from, to)}. */
  int count(char[] chars, int from, int to) {
    byte[] buf = scratch.get();
    int count = 0;
    int i = from;
    while (i < to) {
      int end = pieceEnd(chars, i, to);
      count += countPiece(chars, i, end, buf);
      i = end;
    }
    return count;
  }

  private int countPiece(char[] a, int from, int to, byte[] buf) {
    if ((long) (to - from) * 3 > MAX_PIECE_BYTES) {
      int length = utf8Length(a, from, to);
      if (length > MergeableRanks.EXACT_PIECE_BYTES) {
        return length; // the upper bound MergeableRanks.count gives
      }
      if (length > MAX_PIECE_BYTES) {
        byte[] bytes = new byte[length];
        return ranks.count(bytes, utf8(a, from, to, bytes));
      }
    }
    return ranks.count(buf, utf8(a, from, to, buf));
  }

  /** The UTF-8 length of {@code a[from, to)}, a lone surrogate counting as U+FFFD. */
  static int utf8Length(char[] a, int from, int to) {
    int n = 0;
    for (int i = from; i < to; i++) {
      char c = a[i];
      if (c < 0x80) {
        n++;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < to && Character.isLowSurrogate(a[i + 1])) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  /** Encodes {@code a[from, to)} into {@code buf} (large enough), a lone surrogate as U+FFFD. */
  static int utf8(char[] a, int from, int to, byte[] buf) {
    int n = 0;
    for (int i = from; i < to; i++) {
      char c = a[i];
      if (c < 0x80) {
        buf[n++] = (byte) c;
      } else if (c < 0x800) {
        buf[n++] = (byte) (0xC0 | (c >> 6));
        buf[n++] = (byte) (0x80 | (c & 0x3F));
      } else if (Character.isSurrogate(c)) {
        if (Character.isHighSurrogate(c) && i + 1 < to && Character.isLowSurrogate(a[i + 1])) {
          int cp = Character.toCodePoint(c, a[++i]);
          buf[n++] = (byte) (0xF0 | (cp >> 18));
          buf[n++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
          buf[n++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
          buf[n++] = (byte) (0x80 | (cp & 0x3F));
        } else { // a lone surrogate reads as U+FFFD, as in tiktoken
          buf[n++] = (byte) 0xEF;
          buf[n++] = (byte) 0xBF;
          buf[n++] = (byte) 0xBD;
        }
      } else {
        buf[n++] = (byte) (0xE0 | (c >> 12));
        buf[n++] = (byte) (0x80 | ((c >> 6) & 0x3F));
        buf[n++] = (byte) (0x80 | (c & 0x3F));
      }
    }
    return n;
  }

  // ---------------------------------------------------------------- split

  /** The end of the piece that the o200k pattern matches at {@code i} (always a match). */
  static int pieceEnd(char[] a, int i, int end) {
    int cp = codePointAt(a, i, end);
    int cls = classOf(cp);
    int next = i + Character.charCount(cp);
    if ((cls & (UPPERISH | LOWERISH)) != 0
        || (isPrefix(cls)
            && next < end
            && (classOf(codePointAt(a, next, end)) & (UPPERISH | LOWERISH)) != 0)) {
      int r = letters(a, i, end, cls, next, true);
      if (r < 0) {
        r = letters(a, i, end, cls, next, false);
      }
      if (r >= 0) {
        return r;
      }
    }
    if ((cls & NUMBER) != 0) {
      int k = next;
      for (int n = 1; n < 3 && k < end; n++) {
        int c = codePointAt(a, k, end);
        if ((classOf(c) & NUMBER) == 0) {
          break;
        }
        k += Character.charCount(c);
      }
      return k;
    }
    int r = symbols(a, i, end, cls, next);
    if (r >= 0) {
      return r;
    }
    return spaces(a, i, end);
  }

  /** Alternatives 1 ({@code lowerFirst}) or 2, trying with the optional prefix, then without. */
  private static int letters(char[] a, int i, int end, int cls, int next, boolean lowerFirst) {
    if (isPrefix(cls)) {
      int r = lowerFirst ? alt1(a, next, end) : alt2(a, next, end);
      if (r >= 0) {
        return r;
      }
    }
    return lowerFirst ? alt1(a, i, end) : alt2(a, i, end);
  }

  /** {@code U*L+} then a contraction, from {@code j}; -1 if it fails. */
  private static int alt1(char[] a, int j, int end) {
    int k = j;
    int lastLower = -1;
    int lastLowerEnd = -1;
    while (k < end) {
      int c = codePointAt(a, k, end);
      int cls = classOf(c);
      if ((cls & UPPERISH) == 0) {
        break;
      }
      int n = k + Character.charCount(c);
      if ((cls & LOWERISH) != 0) {
        lastLower = k;
        lastLowerEnd = n;
      }
      k = n;
    }
    int m;
    if (k < end && (classOf(codePointAt(a, k, end)) & LOWERISH) != 0) {
      m = lowerRun(a, k, end);
    } else if (lastLower >= 0) {
      m = lastLowerEnd; // U* gives back code points until L+ can take one
    } else {
      return -1;
    }
    return contraction(a, m, end);
  }

  /** {@code U+L*} then a contraction, from {@code j}; -1 if it fails. */
  private static int alt2(char[] a, int j, int end) {
    int k = j;
    while (k < end) {
      int c = codePointAt(a, k, end);
      if ((classOf(c) & UPPERISH) == 0) {
        break;
      }
      k += Character.charCount(c);
    }
    if (k == j) {
      return -1;
    }
    return contraction(a, lowerRun(a, k, end), end);
  }

  private static int lowerRun(char[] a, int k, int end) {
    while (k < end) {
      int c = codePointAt(a, k, end);
      if ((classOf(c) & LOWERISH) == 0) {
        break;
      }
      k += Character.charCount(c);
    }
    return k;
  }

  /** {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)?} at {@code k}: the end after it. */
  private static int contraction(char[] a, int k, int end) {
    if (k + 1 >= end || a[k] != '\'') {
      return k;
    }
    int c1 = fold(a[k + 1]);
    if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') {
      return k + 2;
    }
    if (k + 2 < end) {
      int c2 = fold(a[k + 2]);
      if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) {
        return k + 3;
      }
    }
    return k;
  }

  /** Case folding as java.util.regex does for {@code (?i)} with Unicode case. */
  private static int fold(char c) {
    if (c < 0x80) {
      return c >= 'A' && c <= 'Z' ? c + 32 : c;
    }
    return Character.toLowerCase(Character.toUpperCase((int) c));
  }

  /** Alternative 4: {@code ?[^\s\p{L}\p{N}]+[\r\n/]*}; -1 if it fails. */
  private static int symbols(char[] a, int i, int end, int cls, int next) {
    int k;
    if (a[i] == ' ') {
      if (next >= end || !isSymbol(classOf(codePointAt(a, next, end)))) {
        return -1;
      }
      k = next;
    } else if (isSymbol(cls)) {
      k = i;
    } else {
      return -1;
    }
    while (k < end) {
      int c = codePointAt(a, k, end);
      if (!isSymbol(classOf(c))) {
        break;
      }
      k += Character.charCount(c);
    }
    while (k < end && (a[k] == '\r' || a[k] == '\n' || a[k] == '/')) {
      k++;
    }
    return k;
  }

  /** Alternatives 5, 6, 7 for a white-space run (all white space is in the BMP). */
  private static int spaces(char[] a, int i, int end) {
    int k = i;
    int lastNewline = -1;
    while (k < end && (classOf(a[k]) & SPACE) != 0) {
      if (a[k] == '\r' || a[k] == '\n') {
        lastNewline = k;
      }
      k++;
    }
    if (lastNewline >= 0) {
      return lastNewline + 1; // \s*[\r\n]+
    }
    if (k == end || k - i < 2) {
      return k; // \s+(?!\S) at the end, or \s+
    }
    return k - 1; // \s+(?!\S): leave the last space to the next piece
  }

  private static boolean isPrefix(int cls) { // [^\r\n\p{L}\p{N}]
    return (cls & (NEWLINE | LETTER | NUMBER)) == 0;
  }

  private static boolean isSymbol(int cls) { // [^\s\p{L}\p{N}]
    return (cls & (SPACE | LETTER | NUMBER)) == 0;
  }

  private static int codePointAt(char[] a, int i, int end) {
    char c = a[i];
    if (Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(a[i + 1])) {
      return Character.toCodePoint(c, a[i + 1]);
    }
    return c;
  }

  static int classOf(int cp) {
    return cp < 0x10000 ? BMP[cp] : computeClass(cp);
  }

  /** The class bits of a code point, as java.util.regex classifies it. */
  static int computeClass(int cp) {
    int type = Character.getType(cp);
    int cls;
    switch (type) {
      case Character.UPPERCASE_LETTER:
      case Character.TITLECASE_LETTER:
        cls = LETTER | UPPERISH;
        break;
      case Character.LOWERCASE_LETTER:
        cls = LETTER | LOWERISH;
        break;
      case Character.MODIFIER_LETTER:
      case Character.OTHER_LETTER:
        cls = LETTER | UPPERISH | LOWERISH;
        break;
      case Character.NON_SPACING_MARK:
      case Character.ENCLOSING_MARK:
      case Character.COMBINING_SPACING_MARK:
        cls = UPPERISH | LOWERISH;
        break;
      case Character.DECIMAL_DIGIT_NUMBER:
      case Character.LETTER_NUMBER:
      case Character.OTHER_NUMBER:
        cls = NUMBER;
        break;
      default:
        cls = 0;
    }
    boolean whiteSpace =
        type == Character.SPACE_SEPARATOR
            || type == Character.LINE_SEPARATOR
            || type == Character.PARAGRAPH_SEPARATOR
            || (cp >= 0x9 && cp <= 0xD)
            || cp == 0x85;
    if (whiteSpace) {
      cls |= SPACE;
    }
    if (cp == '\r' || cp == '\n') {
      cls |= NEWLINE;
    }
    return cls;
  }
}
