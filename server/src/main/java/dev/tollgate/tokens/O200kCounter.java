package dev.tollgate.tokens;

import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.IntArrayList;
import java.util.Arrays;

/**
 * Counts {@code o200k_base} tokens of ordinary text with exactly jtokkit's (and tiktoken's)
 * result, without {@code java.util.regex}: the regex split is most of jtokkit's o200k cost.
 *
 * <p>Two steps, as in tiktoken. <b>Split</b>: {@link #pieceEnd} reproduces, alternative by
 * alternative and with the same backtracking outcome, what jtokkit's pattern (compiled with
 * {@code UNICODE_CHARACTER_CLASS}) matches:
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
 * <b>Merge</b>: each piece is encoded to UTF-8 (a lone surrogate as U+FFFD, as tiktoken reads
 * it; both are in the same class, so the split is unchanged); a piece that is one token counts
 * 1, else tiktoken's byte-pair merge loop runs over the ranks read from jtokkit's own encoding. Pieces longer than {@link
 * #MAX_PIECE_BYTES} go to jtokkit, whose pattern gives the same single piece for them.
 *
 * <p>Tested against jtokkit on every code point's classes and on random mixed-script text.
 */
final class O200kCounter {
  /** Longer pieces (rare: a long run of letters or symbols) are counted by jtokkit. */
  static final int MAX_PIECE_BYTES = 256;

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

  private final Encoding jtokkit;
  private final Ranks ranks;
  private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

  O200kCounter(Encoding jtokkit) {
    this.jtokkit = jtokkit;
    this.ranks = Ranks.of(jtokkit);
  }

  /** Tokens of {@code chars[from, to)}. */
  int count(char[] chars, int from, int to) {
    Scratch s = scratch.get();
    int count = 0;
    int i = from;
    while (i < to) {
      int end = pieceEnd(chars, i, to);
      count += countPiece(chars, i, end, s);
      i = end;
    }
    return count;
  }

  private int countPiece(char[] a, int from, int to, Scratch s) {
    byte[] buf = s.bytes;
    int n = 0;
    for (int i = from; i < to; i++) {
      char c = a[i];
      if (n + 4 > buf.length) {
        return jtokkit.countTokensOrdinary(
            CountingEncoding.wellFormed(new String(a, from, to - from)));
      }
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
    if (n == 1 || ranks.rank(buf, 0, n) >= 0) {
      return 1;
    }
    return ranks.mergedCount(buf, n, s);
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

  /** Alternative 4: {@code  ?[^\s\p{L}\p{N}]+[\r\n/]*}; -1 if it fails. */
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

  // ---------------------------------------------------------------- merge

  /** Per-thread buffers for one piece. */
  static final class Scratch {
    final byte[] bytes = new byte[MAX_PIECE_BYTES + 4];
    final int[] starts = new int[MAX_PIECE_BYTES + 5];
    final int[] pairRanks = new int[MAX_PIECE_BYTES + 5];
  }

  /** The mergeable ranks: byte sequence to rank, in an open-addressing table. */
  static final class Ranks {
    private final byte[] blob;
    private final int[] offsets; // rank r spans blob[offsets[r], offsets[r + 1])
    private final int[] slots; // rank + 1, 0 = empty
    private final int[] slotHashes; // the full hash of the slot's bytes: most misses end on it
    private final int mask;
    private final int[] pairs = new int[1 << 16]; // rank of every two-byte sequence, or MAX

    private Ranks(byte[] blob, int[] offsets, int count) {
      this.blob = blob;
      this.offsets = offsets;
      int capacity = Integer.highestOneBit(count * 2 - 1) << 1;
      this.slots = new int[capacity];
      this.slotHashes = new int[capacity];
      this.mask = capacity - 1;
      for (int r = 0; r < count; r++) {
        int start = offsets[r];
        int len = offsets[r + 1] - start;
        int full = hash(blob, start, len);
        int h = full & mask;
        while (slots[h] != 0) {
          h = (h + 1) & mask;
        }
        slots[h] = r + 1;
        slotHashes[h] = full;
      }
      Arrays.fill(pairs, Integer.MAX_VALUE);
      for (int r = 0; r < count; r++) {
        if (offsets[r + 1] - offsets[r] == 2) {
          pairs[((blob[offsets[r]] & 0xFF) << 8) | (blob[offsets[r] + 1] & 0xFF)] = r;
        }
      }
    }

    /** Reads ranks 0, 1, 2, ... from the encoding until the first id it cannot decode. */
    static Ranks of(Encoding encoding) {
      byte[] blob = new byte[1 << 21];
      int[] offsets = new int[1 << 18];
      int count = 0;
      int size = 0;
      IntArrayList one = new IntArrayList(1);
      one.add(0);
      while (true) {
        one.set(0, count);
        byte[] bytes;
        try {
          bytes = encoding.decodeBytes(one);
        } catch (RuntimeException unknownToken) {
          break;
        }
        if (size + bytes.length > blob.length) {
          blob = Arrays.copyOf(blob, blob.length * 2);
        }
        if (count + 2 > offsets.length) {
          offsets = Arrays.copyOf(offsets, offsets.length * 2);
        }
        System.arraycopy(bytes, 0, blob, size, bytes.length);
        offsets[count] = size;
        size += bytes.length;
        count++;
        offsets[count] = size;
      }
      if (count < 256) {
        throw new IllegalStateException(encoding.getName() + ": only " + count + " ranks");
      }
      return new Ranks(Arrays.copyOf(blob, size), Arrays.copyOf(offsets, count + 1), count);
    }

    private static int hash(byte[] b, int from, int len) {
      int h = 0x811C9DC5 ^ len;
      for (int i = from, end = from + len; i < end; i++) {
        h = (h ^ b[i]) * 0x01000193;
      }
      return h ^ (h >>> 15);
    }

    /** The rank of {@code b[from, from + len)}, or -1. */
    int rank(byte[] b, int from, int len) {
      int full = hash(b, from, len);
      int h = full & mask;
      while (true) {
        int slot = slots[h];
        if (slot == 0) {
          return -1;
        }
        if (slotHashes[h] == full) {
          int r = slot - 1;
          int start = offsets[r];
          if (offsets[r + 1] - start == len && same(blob, start, b, from, len)) {
            return r;
          }
        }
        h = (h + 1) & mask;
      }
    }

    /** Tokens are short: a plain loop beats {@code Arrays.equals}' range checks and set-up. */
    private static boolean same(byte[] a, int ai, byte[] b, int bi, int len) {
      for (int i = 0; i < len; i++) {
        if (a[ai + i] != b[bi + i]) {
          return false;
        }
      }
      return true;
    }

    /** Tiktoken's {@code _byte_pair_merge} on {@code b[0, n)}: the number of parts left. */
    int mergedCount(byte[] b, int n, Scratch s) {
      int[] starts = s.starts;
      int[] pairRanks = s.pairRanks;
      int parts = n + 1;
      for (int i = 0; i < n - 1; i++) {
        starts[i] = i;
        pairRanks[i] = pairs[((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF)];
      }
      starts[n - 1] = n - 1;
      pairRanks[n - 1] = Integer.MAX_VALUE;
      starts[n] = n;
      pairRanks[n] = Integer.MAX_VALUE;
      while (true) {
        int min = Integer.MAX_VALUE;
        int at = -1;
        for (int i = 0; i < parts - 1; i++) {
          if (pairRanks[i] < min) {
            min = pairRanks[i];
            at = i;
          }
        }
        if (at < 0) {
          return parts - 1;
        }
        if (at > 0) {
          pairRanks[at - 1] = spanRank(b, starts, parts, at - 1);
        }
        pairRanks[at] = spanRank(b, starts, parts, at);
        System.arraycopy(starts, at + 2, starts, at + 1, parts - at - 2);
        System.arraycopy(pairRanks, at + 2, pairRanks, at + 1, parts - at - 2);
        parts--;
      }
    }

    /** Rank of parts {@code i..i+2} joined (before the merge removes part {@code i + 1}). */
    private int spanRank(byte[] b, int[] starts, int parts, int i) {
      if (i + 3 < parts) {
        return rankOrMax(b, starts[i], starts[i + 3] - starts[i]);
      }
      return Integer.MAX_VALUE;
    }

    private int rankOrMax(byte[] b, int from, int len) {
      int r = rank(b, from, len);
      return r < 0 ? Integer.MAX_VALUE : r;
    }
  }
}
