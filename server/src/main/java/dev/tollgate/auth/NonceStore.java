package dev.tollgate.auth;

import java.util.concurrent.CompletionStage;

/** Remembers assertion nonces until they expire, so that each is accepted once (cluster-wide). */
public interface NonceStore {
  /**
   * Records {@code nonce} until {@code expiresAtMillis}.
   *
   * @return true if it was not seen before, false if it is a replay
   */
  CompletionStage<Boolean> firstUse(String nonce, long expiresAtMillis, long nowMillis);
}
