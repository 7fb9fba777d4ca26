package dev.tollgate.quota;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Coalesces {@link QuotaStore#adjust adjusts}: those of one key whose reservations were made in the
 * same {@link LeasingQuotaStore#GRANULE_MILLIS granule} are summed and sent as one call when {@link
 * #flush} runs. Exact: every reservation time in a granule falls in the same bucket of every window
 * (whole-second windows have buckets of whole multiples of the granule), and the record adds {@code
 * actual - reserved} to that bucket, so one call with the sums changes it as the calls one by one
 * would. Each caller's stage completes when the call carrying its adjust has been answered.
 */
final class AdjustBatcher {
  private final QuotaStore cluster;
  private final ConcurrentHashMap<String, Map<Long, Batch>> pending = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, CompletableFuture<Void>> inFlight =
      new ConcurrentHashMap<>();
  private final LongAdder calls = new LongAdder();
  private final LongAdder failures = new LongAdder();

  AdjustBatcher(QuotaStore cluster) {
    this.cluster = cluster;
  }

  /** Queues an adjust; the stage completes when the call that carries it is answered. */
  CompletableFuture<Void> add(
      String key, Charge reserved, Charge actual, long reservedAtMillis, long nowMillis) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    long g = LeasingQuotaStore.granule(reservedAtMillis);
    boolean[] overflow = new boolean[1];
    pending.compute(
        key,
        (k, m) -> {
          Map<Long, Batch> byGranule = m == null ? new HashMap<>() : m;
          Batch b = byGranule.computeIfAbsent(g, x -> new Batch(reservedAtMillis));
          if (!b.add(reserved, actual, nowMillis, done)) {
            overflow[0] = true;
          }
          return byGranule;
        });
    if (overflow[0]) {
      // sums past Long.MAX_VALUE: this one goes alone
      send(key, new Batch(reservedAtMillis), reserved, actual, nowMillis, done);
    }
    return done;
  }

  /** Sends every queued adjust (one call per key and granule). */
  void flush() {
    for (String key : pending.keySet()) {
      flush(key);
    }
  }

  /**
   * Sends the adjusts queued for {@code key}; completes when every call for it sent before this one
   * returns (by any thread) is answered.
   */
  CompletableFuture<Void> flush(String key) {
    CompletableFuture<Void> sending = new CompletableFuture<>();
    @SuppressWarnings("unchecked")
    Map<Long, Batch>[] taken = new Map[1];
    pending.computeIfPresent(
        key,
        (k, m) -> {
          // on its way before it leaves the queue: pending(key) never misses it
          track(key, sending);
          taken[0] = m;
          return null;
        });
    if (taken[0] != null) {
      for (Batch b : taken[0].values()) {
        send(key, b, b.reserved(), b.actual(), b.nowMillis, null);
      }
    }
    sending.complete(null);
    return afterInFlight(key).thenCompose(v -> afterInFlight(key));
  }

  /** Completes when the calls of {@code key} on their way now are answered. */
  private CompletableFuture<Void> afterInFlight(String key) {
    CompletableFuture<Void> f = inFlight.get(key);
    return f == null ? CompletableFuture.completedFuture(null) : f.exceptionally(e -> null);
  }

  /** Whether an adjust of {@code key} is queued or on its way. */
  boolean pending(String key) {
    return pending.containsKey(key) || inFlight.containsKey(key);
  }

  /** Counts {@code call} as on its way for {@code key} until it completes. */
  private void track(String key, CompletableFuture<Void> call) {
    CompletableFuture<Void> tracked =
        inFlight.compute(
            key,
            (k, before) ->
                before == null
                    ? call
                    : CompletableFuture.allOf(before.exceptionally(e -> null), call));
    tracked.whenComplete((v, e) -> inFlight.remove(key, tracked));
  }

  /** Calls to the cluster store so far. */
  long calls() {
    return calls.sum();
  }

  /** Calls that failed (their callers were told). */
  long failures() {
    return failures.sum();
  }

  /** Completes when every call sent so far has been answered. */
  CompletableFuture<Void> drained() {
    return CompletableFuture.allOf(inFlight.values().toArray(CompletableFuture[]::new))
        .exceptionally(e -> null);
  }

  private void send(
      String key,
      Batch b,
      Charge reserved,
      Charge actual,
      long nowMillis,
      CompletableFuture<Void> alone) {
    List<CompletableFuture<Void>> waiters = alone == null ? b.waiters : List.of(alone);
    if (reserved.equals(actual)) {
      waiters.forEach(w -> w.complete(null)); // changes nothing
      return;
    }
    calls.increment();
    CompletableFuture<Void> call;
    try {
      call =
          cluster
              .adjust(key, reserved, actual, b.reservedAtMillis, nowMillis)
              .toCompletableFuture();
    } catch (RuntimeException e) {
      call = CompletableFuture.failedFuture(e);
    }
    CompletableFuture<Void> c = call;
    track(key, c);
    c.whenComplete(
        (v, e) -> {
          if (e != null) {
            failures.increment();
          }
          for (CompletableFuture<Void> w : waiters) {
            if (e == null) {
              w.complete(null);
            } else {
              w.completeExceptionally(e);
            }
          }
        });
  }

  /** The adjusts of one key and granule, summed. */
  private static final class Batch {
    final long reservedAtMillis;
    final List<CompletableFuture<Void>> waiters = new ArrayList<>(2);
    long nowMillis = Long.MIN_VALUE;
    private final long[] sums = new long[6];

    Batch(long reservedAtMillis) {
      this.reservedAtMillis = reservedAtMillis;
    }

    /** Adds one adjust, or returns false (changing nothing) when a sum would overflow. */
    boolean add(Charge reserved, Charge actual, long now, CompletableFuture<Void> done) {
      long[] next = {
        sums[0] + reserved.tokens(),
        sums[1] + reserved.nanoUsd(),
        sums[2] + reserved.requests(),
        sums[3] + actual.tokens(),
        sums[4] + actual.nanoUsd(),
        sums[5] + actual.requests()
      };
      for (long v : next) {
        if (v < 0) {
          return false;
        }
      }
      System.arraycopy(next, 0, sums, 0, sums.length);
      nowMillis = Math.max(nowMillis, now);
      waiters.add(done);
      return true;
    }

    Charge reserved() {
      return new Charge(sums[0], sums[1], sums[2]);
    }

    Charge actual() {
      return new Charge(sums[3], sums[4], sums[5]);
    }
  }
}
