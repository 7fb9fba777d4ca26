package dev.tollgate.quota;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A complete {@link QuotaStore} for one process: records in a {@link ConcurrentHashMap}, each
 * operation atomic per key through {@code compute}. Records idle longer than their longest window
 * are dropped by a sweep that runs at most once a minute.
 */
public final class InMemoryQuotaStore implements QuotaStore {
  private static final long SWEEP_EVERY_MILLIS = 60_000;
  private final ConcurrentHashMap<String, UsageRecord> records = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Held> held = new ConcurrentHashMap<>();
  private final AtomicLong nextSweep = new AtomicLong(Long.MIN_VALUE);

  @Override
  public CompletionStage<KeyReserveResult> reserve(
      String key, List<Limit> limits, Charge charge, long nowMillis, boolean enforce) {
    sweep(nowMillis);
    KeyReserveResult[] out = new KeyReserveResult[1];
    records.compute(
        key,
        (k, r) -> {
          UsageRecord rec = r == null ? UsageRecord.empty() : r;
          out[0] = rec.reserve(limits, charge, nowMillis, enforce);
          return rec;
        });
    return CompletableFuture.completedFuture(out[0]);
  }

  @Override
  public CompletionStage<Void> adjust(
      String key, Charge reserved, Charge actual, long reservedAtMillis, long nowMillis) {
    records.computeIfPresent(
        key,
        (k, r) -> {
          r.adjust(reserved, actual, reservedAtMillis, nowMillis);
          return r;
        });
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<List<WindowStatus>> status(
      String key, List<Limit> limits, long nowMillis) {
    java.util.concurrent.atomic.AtomicReference<List<WindowStatus>> out =
        new java.util.concurrent.atomic.AtomicReference<>();
    records.compute(
        key,
        (k, r) -> {
          out.set((r == null ? UsageRecord.empty() : r).status(limits, nowMillis));
          return r;
        });
    return CompletableFuture.completedFuture(out.get());
  }

  @Override
  public CompletionStage<Void> reset(String key) {
    records.remove(key);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Void> hold(Reservation reservation, long expiresAtMillis, long nowMillis) {
    held.put(reservation.id(), new Held(reservation, expiresAtMillis));
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Reservation> take(String id) {
    Held h = held.remove(id);
    return CompletableFuture.completedFuture(h == null ? null : h.reservation());
  }

  @Override
  public List<Reservation> takeExpired(long nowMillis) {
    List<Reservation> out = new ArrayList<>();
    for (Map.Entry<String, Held> e : held.entrySet()) {
      if (e.getValue().expiresAtMillis() <= nowMillis && held.remove(e.getKey(), e.getValue())) {
        out.add(e.getValue().reservation());
      }
    }
    return out;
  }

  @Override
  public long heldCount() {
    return held.size();
  }

  private record Held(Reservation reservation, long expiresAtMillis) {}

  /** Number of records held (for tests and memory estimates). */
  public int size() {
    return records.size();
  }

  private void sweep(long now) {
    long next = nextSweep.get();
    if (now < next || !nextSweep.compareAndSet(next, now + SWEEP_EVERY_MILLIS)) {
      return;
    }
    records.forEach(
        (k, v) ->
            records.computeIfPresent(
                k,
                (kk, r) ->
                    now - r.lastTouchedMillis() > r.longestWindow().toMillis() || r.isEmpty(now)
                        ? null
                        : r));
  }

  @Override
  public void close() {
    records.clear();
    held.clear();
  }
}
