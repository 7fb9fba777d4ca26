package dev.tollgate.response;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A byte budget shared by every response being followed, for what accounting keeps between chunks
 * (SSE lines and events, delta events waiting to be counted). Each stream has a {@link Lease}: its
 * first {@link #FREE_BYTES_PER_STREAM} bytes are its own, like the rest of its per-stream state;
 * beyond that it draws on the shared budget, and gives back what it frees. A stream refused more
 * bytes stops reading its response (its usage is then unknown); it never waits and never fails the
 * client's request. What a stream could do without (deltas kept to be counted later) may only take
 * the first half of the shared budget.
 */
public final class BufferBudget {
  /** The default shared budget: 64 MiB. */
  public static final long DEFAULT_MAX_BYTES = 64L << 20;

  /** Bytes a stream may keep without drawing on the shared budget. */
  public static final int FREE_BYTES_PER_STREAM = 16 << 10;

  private final long maxBytes;
  private final AtomicLong used = new AtomicLong();

  /**
   * @param maxBytes the most all streams together may hold beyond their free bytes (≥ 0)
   */
  public BufferBudget(long maxBytes) {
    if (maxBytes < 0) {
      throw new IllegalArgumentException("maxBytes: " + maxBytes + " (expected: >= 0)");
    }
    this.maxBytes = maxBytes;
  }

  /** A budget that never refuses (tests, tools). */
  public static BufferBudget unlimited() {
    return new BufferBudget(Long.MAX_VALUE);
  }

  /** A lease for one stream. */
  public Lease lease() {
    return new Lease();
  }

  /** Bytes drawn from the shared budget now. */
  public long used() {
    return used.get();
  }

  /** The most that may be drawn. */
  public long maxBytes() {
    return maxBytes;
  }

  private boolean tryAcquire(long n, long limit) {
    while (true) {
      long u = used.get();
      if (u + n > limit || u + n < 0) {
        return false;
      }
      if (used.compareAndSet(u, u + n)) {
        return true;
      }
    }
  }

  /** One stream's share. Used by one thread at a time (a stream's messages arrive serially). */
  public final class Lease implements AutoCloseable {
    private long held;
    private long drawn;

    private Lease() {}

    /** Takes {@code n} more bytes; false (and nothing taken) when the shared budget is spent. */
    public boolean tryGrow(long n) {
      return tryGrow(n, maxBytes);
    }

    /**
     * Takes {@code n} more bytes for something the stream could do without (it can count now
     * instead of keeping): only while the shared budget is less than half spent, so that what
     * streams cannot do without always finds room.
     */
    public boolean tryGrowOptional(long n) {
      return tryGrow(n, maxBytes / 2);
    }

    private boolean tryGrow(long n, long limit) {
      long want = Math.max(0, held + n - FREE_BYTES_PER_STREAM);
      if (want > drawn) {
        if (!tryAcquire(want - drawn, limit)) {
          return false;
        }
        drawn = want;
      }
      held += n;
      return true;
    }

    /** Gives back {@code n} bytes. */
    public void shrink(long n) {
      held = Math.max(0, held - n);
      long want = Math.max(0, held - FREE_BYTES_PER_STREAM);
      if (drawn > want) {
        used.addAndGet(want - drawn);
        drawn = want;
      }
    }

    /** Bytes this stream holds now. */
    public long held() {
      return held;
    }

    /** Gives back everything. */
    @Override
    public void close() {
      shrink(held);
    }
  }
}
