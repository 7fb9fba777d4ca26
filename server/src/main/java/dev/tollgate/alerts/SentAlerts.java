package dev.tollgate.alerts;

/**
 * Which alerts have been sent: the first to claim an alert's key sends it. On Hazelcast the claim
 * is cluster-wide, so that one replica sends an alert however many see the crossing.
 */
public interface SentAlerts {
  /**
   * Claims {@code key} until {@code expiresAtMillis}.
   *
   * @return true when no one had claimed it (the caller sends the alert), false otherwise
   * @throws RuntimeException when the claim cannot be made (the store is unreachable)
   */
  boolean claim(String key, long expiresAtMillis, long nowMillis);
}
