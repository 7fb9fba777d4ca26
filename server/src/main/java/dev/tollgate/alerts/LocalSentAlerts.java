package dev.tollgate.alerts;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Claims held in this process: the deduplication of a single replica, and each replica's cache in
 * front of the cluster's. Expired claims are dropped as new ones come; at most {@code capacity} are
 * held (beyond it every claim succeeds, and the cluster's deduplication still holds).
 */
public final class LocalSentAlerts implements SentAlerts {
  private final Map<String, Long> claims = new ConcurrentHashMap<>();
  private final int capacity;
  private volatile long nextPrune;

  /** Holding at most 100,000 claims. */
  public LocalSentAlerts() {
    this(100_000);
  }

  /**
   * @param capacity the most claims held
   */
  public LocalSentAlerts(int capacity) {
    this.capacity = capacity;
  }

  @Override
  public boolean claim(String key, long expiresAtMillis, long nowMillis) {
    if (nowMillis >= nextPrune || claims.size() >= capacity) {
      prune(nowMillis);
    }
    if (claims.size() >= capacity) {
      return true;
    }
    boolean[] won = {false};
    claims.compute(
        key,
        (k, until) -> {
          if (until != null && until > nowMillis) {
            return until;
          }
          won[0] = true;
          return expiresAtMillis;
        });
    return won[0];
  }

  private void prune(long nowMillis) {
    nextPrune = nowMillis + 60_000;
    for (Iterator<Long> it = claims.values().iterator(); it.hasNext(); ) {
      if (it.next() <= nowMillis) {
        it.remove();
      }
    }
  }

  /** How many claims are held. */
  public int size() {
    return claims.size();
  }
}
