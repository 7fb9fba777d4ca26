package dev.tollgate.tokens;

import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.IntArrayList;
import java.util.Arrays;

/**
 * An encoding's mergeable ranks (byte sequence to rank, in an open-addressing table) and tiktoken's
 * byte-pair merge over them: the number of tokens one piece of text encodes to.
 *
 * <p>The merge joins, again and again, the adjacent pair of parts whose joined bytes have the
 * lowest rank (the leftmost on a tie) until no joined pair is a token. Short pieces run tiktoken's
 * own loop (a scan per merge, quadratic, fastest for a few hundred bytes). Longer pieces, which any
 * client can send (one long word, one character repeated), run the same merge over a linked list of
 * parts with a heap of adjacent pairs ordered by (rank, position): the same merges in the same
 * order, in O(n log n) time and about 20 bytes of memory per byte.
 *
 * <p>A piece longer than {@value #EXACT_PIECE_BYTES} bytes (no natural text has one: it is a single
 * word, number or run of symbols or white space) counts as one token per byte, a safe upper bound
 * (every token is at least one byte) that costs nothing to compute; the reservation is then too
 * high, never too low, and settlement uses the upstream's real usage.
 *
 * <p>Within one request ({@link #withLongPieceBudget}) the pieces merged with the heap may total at
 * most {@value #LONG_PIECE_BUDGET_BYTES} bytes; past that, long pieces take the same upper bound,
 * so no body, whatever its words, costs more than a bounded amount of merging.
 */
final class MergeableRanks {
  /** Pieces up to this many bytes use tiktoken's scanning loop; longer ones the heap. */
  static final int SHORT_PIECE_BYTES = 256;

  /** Pieces up to this many bytes are merged exactly; longer ones count one token per byte. */
  static final int EXACT_PIECE_BYTES = 64 * 1024;

  /** Bytes of long pieces one request may merge exactly (about 0.1 s of work at most). */
  static final long LONG_PIECE_BUDGET_BYTES = 512 * 1024;

  private static final int NONE = Integer.MAX_VALUE;

  /** What the current request may still merge with the heap; unlimited outside a request. */
  private static final ThreadLocal<long[]> LONG_PIECE_BUDGET =
      ThreadLocal.withInitial(() -> new long[] {Long.MAX_VALUE});

  /** Per-thread buffers for one short piece. */
  private static final class Scratch {
    final int[] starts = new int[SHORT_PIECE_BYTES + 5];
    final int[] pairRanks = new int[SHORT_PIECE_BYTES + 5];
  }

  private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

  private final byte[] blob;
  private final int[] offsets; // rank r spans blob[offsets[r], offsets[r + 1])
  private final int[] slots; // rank + 1, 0 = empty
  private final int[] slotHashes; // the full hash of the slot's bytes: most misses end on it
  private final int mask;
  private final int[] pairs = new int[1 << 16]; // rank of every two-byte sequence, or MAX

  private MergeableRanks(byte[] blob, int[] offsets, int count) {
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
  static MergeableRanks of(Encoding encoding) {
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
    return new MergeableRanks(Arrays.copyOf(blob, size), Arrays.copyOf(offsets, count + 1), count);
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

  /**
   * Tiktoken's {@code _byte_pair_merge} on {@code b[0, n)}, {@code n <= SHORT_PIECE_BYTES}, as
   * tiktoken writes it: scan for the lowest rank, merge, repeat (quadratic, fastest when short).
   */
  private int mergedCountShort(byte[] b, int n) {
    Scratch s = scratch.get();
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

  /**
   * The number of tokens {@code b[0, n)} (one piece of a split) encodes to; {@code n} when the
   * piece is longer than {@value #EXACT_PIECE_BYTES} bytes (an upper bound).
   *
   * @param b the piece's UTF-8 bytes (not modified)
   * @param n how many bytes of {@code b} are the piece
   */
  int count(byte[] b, int n) {
    if (n <= 1 || n > EXACT_PIECE_BYTES) {
      return n;
    }
    if (rank(b, 0, n) >= 0) {
      return 1;
    }
    if (n <= SHORT_PIECE_BYTES) {
      return mergedCountShort(b, n);
    }
    long[] budget = LONG_PIECE_BUDGET.get();
    if (budget[0] < n) {
      return n;
    }
    budget[0] -= n;
    return mergedCountLong(b, n);
  }

  /**
   * Runs {@code work} (the counting of one request, on this thread) with at most {@code bytes}
   * bytes of long pieces merged exactly.
   */
  static <T> T withLongPieceBudget(long bytes, java.util.function.Supplier<T> work) {
    long[] budget = LONG_PIECE_BUDGET.get();
    long saved = budget[0];
    budget[0] = bytes;
    try {
      return work.get();
    } finally {
      budget[0] = saved;
    }
  }

  /**
   * The same merge as {@link #mergedCountShort} for any length: parts are a doubly linked list (by
   * start offset), and every adjacent pair that joins into a token is in an indexed min-heap
   * ordered by (rank, start), so the pair merged next is the one tiktoken's scan finds.
   */
  int mergedCountLong(byte[] b, int n) {
    int[] next = new int[n]; // start of the following part, n after the last
    int[] prev = new int[n]; // start of the preceding part, -1 before the first
    int[] pairRank = new int[n]; // rank of this part joined with the following one, or NONE
    PairHeap heap = new PairHeap(n, pairRank);
    for (int i = 0; i < n; i++) {
      next[i] = i + 1;
      prev[i] = i - 1;
      pairRank[i] = i + 1 < n ? pairs[((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF)] : NONE;
      if (pairRank[i] != NONE) {
        heap.add(i);
      }
    }
    int parts = n;
    while (!heap.isEmpty()) {
      int p = heap.min();
      int q = next[p];
      int after = next[q];
      heap.remove(q);
      next[p] = after;
      if (after < n) {
        prev[after] = p;
      }
      parts--;
      pairRank[p] = after < n ? rankOrMax(b, p, next[after] - p) : NONE;
      heap.changed(p);
      int before = prev[p];
      if (before >= 0) {
        pairRank[before] = rankOrMax(b, before, after - before);
        heap.changed(before);
      }
    }
    return parts;
  }

  /** A binary min-heap of part starts keyed by (pairRank[start], start), with positions. */
  private static final class PairHeap {
    private final int[] heap;
    private final int[] where; // index in heap, or -1
    private final int[] key;
    private int size;

    PairHeap(int n, int[] key) {
      this.heap = new int[n];
      this.where = new int[n];
      this.key = key;
      Arrays.fill(where, -1);
    }

    boolean isEmpty() {
      return size == 0;
    }

    int min() {
      return heap[0];
    }

    void add(int x) {
      heap[size] = x;
      where[x] = size;
      up(size++);
    }

    void remove(int x) {
      int i = where[x];
      if (i < 0) {
        return;
      }
      where[x] = -1;
      int last = heap[--size];
      if (i == size) {
        return;
      }
      heap[i] = last;
      where[last] = i;
      up(i);
      down(where[last]);
    }

    /** Re-orders {@code x} after its key changed; drops it when it no longer joins. */
    void changed(int x) {
      if (key[x] == NONE) {
        remove(x);
      } else if (where[x] < 0) {
        add(x);
      } else {
        up(where[x]);
        down(where[x]);
      }
    }

    private boolean less(int a, int b) {
      return key[a] < key[b] || (key[a] == key[b] && a < b);
    }

    private void up(int i) {
      int x = heap[i];
      while (i > 0) {
        int parent = (i - 1) >>> 1;
        int p = heap[parent];
        if (!less(x, p)) {
          break;
        }
        heap[i] = p;
        where[p] = i;
        i = parent;
      }
      heap[i] = x;
      where[x] = i;
    }

    private void down(int i) {
      int x = heap[i];
      while (true) {
        int child = 2 * i + 1;
        if (child >= size) {
          break;
        }
        if (child + 1 < size && less(heap[child + 1], heap[child])) {
          child++;
        }
        int c = heap[child];
        if (!less(c, x)) {
          break;
        }
        heap[i] = c;
        where[c] = i;
        i = child;
      }
      heap[i] = x;
      where[x] = i;
    }
  }
}
