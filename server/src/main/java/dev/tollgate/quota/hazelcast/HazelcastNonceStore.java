package dev.tollgate.quota.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.tollgate.auth.NonceStore;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/** Assertion nonces in a Hazelcast map: a replayed assertion is refused on every replica. */
public final class HazelcastNonceStore implements NonceStore {
  private final IMap<String, Long> nonces;
  private final Executor callbacks;

  public HazelcastNonceStore(HazelcastInstance hz, Executor callbacks) {
    this.nonces = hz.getMap(HazelcastSetup.NONCE_MAP);
    this.callbacks = callbacks;
  }

  @Override
  public CompletionStage<Boolean> firstUse(String nonce, long expiresAtMillis, long nowMillis) {
    return nonces.submitToKey(nonce, new NonceProcessor(expiresAtMillis, nowMillis))
        .thenApplyAsync(b -> b, callbacks);
  }
}
