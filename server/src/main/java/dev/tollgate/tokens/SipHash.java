package dev.tollgate.tokens;

/**
 * SipHash-2-4 (Aumasson and Bernstein), 64-bit output, over UTF-16 text read as little-endian
 * bytes. A keyed hash: without the key nobody can build two texts with the same value, so a cache
 * keyed by it cannot be fed a collision on purpose.
 */
final class SipHash {
  private final long k0;
  private final long k1;

  SipHash(long k0, long k1) {
    this.k0 = k0;
    this.k1 = k1;
  }

  /** The hash of {@code chars[offset, offset + length)} as UTF-16LE bytes. */
  long hash(char[] chars, int offset, int length) {
    State s = new State(k0, k1);
    int end = offset + length;
    int i = offset;
    for (; i + 4 <= end; i += 4) {
      s.absorb(
          chars[i]
              | (long) chars[i + 1] << 16
              | (long) chars[i + 2] << 32
              | (long) chars[i + 3] << 48);
    }
    long last = ((long) (length * 2) & 0xff) << 56;
    for (int shift = 0; i < end; i++, shift += 16) {
      last |= (long) chars[i] << shift;
    }
    s.absorb(last);
    return s.finish();
  }

  /** The four state words; a local object the JIT keeps in registers. */
  private static final class State {
    private long v0;
    private long v1;
    private long v2;
    private long v3;

    State(long k0, long k1) {
      v0 = k0 ^ 0x736f6d6570736575L;
      v1 = k1 ^ 0x646f72616e646f6dL;
      v2 = k0 ^ 0x6c7967656e657261L;
      v3 = k1 ^ 0x7465646279746573L;
    }

    void absorb(long m) {
      v3 ^= m;
      rounds(2);
      v0 ^= m;
    }

    long finish() {
      v2 ^= 0xff;
      rounds(4);
      return v0 ^ v1 ^ v2 ^ v3;
    }

    private void rounds(int n) {
      for (int r = 0; r < n; r++) {
        v0 += v1;
        v1 = Long.rotateLeft(v1, 13) ^ v0;
        v0 = Long.rotateLeft(v0, 32);
        v2 += v3;
        v3 = Long.rotateLeft(v3, 16) ^ v2;
        v0 += v3;
        v3 = Long.rotateLeft(v3, 21) ^ v0;
        v2 += v1;
        v1 = Long.rotateLeft(v1, 17) ^ v2;
        v2 = Long.rotateLeft(v2, 32);
      }
    }
  }
}
