package dev.tollgate.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.tollgate.auth.NonceStore;
import java.util.concurrent.CompletionStage;

/** Assertion nonces in a Hazelcast map: a replayed assertion is refused on every replica. */
public final class HazelcastNonceStore implements NonceStore {
  private final IMap<String, Long> nonces;

  public HazelcastNonceStore(HazelcastInstance hz) {
    this.nonces = hz.getMap(HazelcastSetup.NONCE_MAP);
  }

  @Override
  public CompletionStage<Boolean> firstUse(String nonce, long expiresAtMillis, long nowMillis) {
    return StoreCallbacks.complete(
        nonces.submitToKey(nonce, new NonceProcessor(expiresAtMillis, nowMillis)), b -> b);
  }
}
