package dev.tollgate.quota.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.tollgate.auth.NonceStore;
import java.util.concurrent.CompletableFuture;
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
    CompletableFuture<Boolean> out = new CompletableFuture<>();
    nonces.submitToKey(nonce, new NonceProcessor(expiresAtMillis, nowMillis)).whenComplete((b, e) -> {
      if (e != null) {
        out.completeExceptionally(e);
      } else {
        out.complete(b);
      }
    }); // runs on StoreCallbacks' pool; a plain future, so later stages stay there
    return out;
  }
}
