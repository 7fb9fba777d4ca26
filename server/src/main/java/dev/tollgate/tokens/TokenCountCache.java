package dev.tollgate.tokens;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.security.SecureRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * Token counts of long texts already counted, so that a chat history re-sent on every turn pays the
 * tokenizer for its new message only. Keyed by the encoding, the text's length and a keyed hash of
 * the text ({@link SipHash}, a random key per process): a hit returns exactly what the counter
 * returned for that text. Bounded by entry count (about 115 bytes of heap each), least-recently and
 * least-frequently used entries evicted first (Caffeine's W-TinyLFU).
 *
 * <p>Texts shorter than {@link #MIN_CHARS} are not cached: counting them costs about as much as a
 * lookup.
 */
public final class TokenCountCache {
  /** Shortest text cached, in UTF-16 chars. */
  public static final int MIN_CHARS = 256;

  /** The default bound: 65,536 texts, about 7 MiB of heap. */
  public static final int DEFAULT_MAX_ENTRIES = 65_536;

  private static final TokenCountCache DISABLED = new TokenCountCache(0);

  private final Cache<Key, Integer> counts;
  private final SipHash hash;
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();

  /**
   * @param maxEntries the most texts kept (0: no cache)
   */
  public TokenCountCache(int maxEntries) {
    if (maxEntries < 0) {
      throw new IllegalArgumentException("maxEntries: " + maxEntries + " (expected: >= 0)");
    }
    this.counts =
        maxEntries == 0
            ? null
            : Caffeine.newBuilder().maximumSize(maxEntries).executor(Runnable::run).build();
    SecureRandom random = new SecureRandom();
    this.hash = new SipHash(random.nextLong(), random.nextLong());
  }

  /** A cache that keeps nothing: every text is counted. */
  public static TokenCountCache disabled() {
    return DISABLED;
  }

  /** Tokens of {@code chars[offset, offset + length)} as ordinary text in {@code encoding}. */
  int countOrdinary(CountingEncoding encoding, char[] chars, int offset, int length) {
    if (counts == null || length < MIN_CHARS) {
      return encoding.countOrdinary(chars, offset, length);
    }
    Key key = new Key(encoding.baseName(), length, hash.hash(chars, offset, length));
    Integer known = counts.getIfPresent(key);
    if (known != null) {
      hits.increment();
      return known;
    }
    misses.increment();
    int n = encoding.countOrdinary(chars, offset, length);
    counts.put(key, n);
    return n;
  }

  /** Texts answered from the cache. */
  public long hits() {
    return hits.sum();
  }

  /** Cacheable texts that had to be counted. */
  public long misses() {
    return misses.sum();
  }

  /** Texts held now (approximate). */
  public long size() {
    return counts == null ? 0 : counts.estimatedSize();
  }

  private record Key(String encoding, int length, long hash) {}
}
