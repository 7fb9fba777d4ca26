package dev.tollgate.auth;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** A {@link NonceStore} for one process: nonces kept in a map, swept as they expire. */
public final class InMemoryNonceStore implements NonceStore {
  private final ConcurrentHashMap<String, Long> nonces = new ConcurrentHashMap<>();
  private final AtomicLong nextSweep = new AtomicLong();

  @Override
  public CompletionStage<Boolean> firstUse(String nonce, long expiresAtMillis, long nowMillis) {
    sweep(nowMillis);
    boolean[] fresh = {false};
    nonces.compute(
        nonce,
        (k, old) -> {
          if (old == null || old <= nowMillis) {
            fresh[0] = true;
            return expiresAtMillis;
          }
          return old;
        });
    return CompletableFuture.completedFuture(fresh[0]);
  }

  private void sweep(long nowMillis) {
    long next = nextSweep.get();
    if (nowMillis >= next && nextSweep.compareAndSet(next, nowMillis + 10_000)) {
      nonces.values().removeIf(exp -> exp <= nowMillis);
    }
  }

  /** Number of remembered nonces (for tests). */
  public int size() {
    return nonces.size();
  }
}
