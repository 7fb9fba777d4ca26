package dev.tollgate.quota.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.tollgate.quota.Charge;
import dev.tollgate.quota.KeyOutcome;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.QuotaStore;
import dev.tollgate.quota.UsageRecord;
import dev.tollgate.quota.WindowStatus;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * {@link QuotaStore} on a Hazelcast {@code IMap}: every change is an entry processor on the
 * key's owner ({@code submitToKey}), never get-then-put. Completions are handed to a small
 * executor of Tollgate's own, so that Hazelcast's threads never run Tollgate's continuations, and
 * the stages returned are plain {@link CompletableFuture}s completed on that executor: Hazelcast's
 * own futures would run every later dependent stage on the common pool, one more thread hand-off
 * per call.
 */
public final class HazelcastQuotaStore implements QuotaStore {
  private final HazelcastInstance hz;
  private final IMap<String, UsageRecord> map;
  private final Executor callbacks;
  private final boolean ownsInstance;

  /**
   * @param hz a member or client
   * @param ownsInstance shut {@code hz} down on close
   */
  public HazelcastQuotaStore(HazelcastInstance hz, boolean ownsInstance) {
    this.hz = hz;
    this.map = hz.getMap(HazelcastSetup.USAGE_MAP);
    this.ownsInstance = ownsInstance;
    this.callbacks = StoreCallbacks.install();
  }

  /** The executor continuations run on (also used by the nonce store). */
  public Executor callbackExecutor() {
    return callbacks;
  }

  /** The Hazelcast instance. */
  public HazelcastInstance instance() {
    return hz;
  }

  @Override
  public CompletionStage<KeyOutcome> reserve(String key, List<Limit> limits, Charge charge, long nowMillis,
      boolean enforce) {
    return handOff(map.submitToKey(key, new RecordProcessors.Reserve(limits, charge, nowMillis, enforce)), o -> o.value);
  }

  @Override
  public CompletionStage<Void> adjust(String key, Charge reserved, Charge actual, long reservedAtMillis,
      long nowMillis) {
    return handOff(map.submitToKey(key, new RecordProcessors.Adjust(reserved, actual, reservedAtMillis, nowMillis)),
        b -> (Void) null);
  }

  @Override
  public CompletionStage<List<WindowStatus>> status(String key, List<Limit> limits, long nowMillis) {
    return handOff(map.submitToKey(key, new RecordProcessors.Status(limits, nowMillis)), o -> o.value.windows());
  }

  @Override
  public CompletionStage<Void> reset(String key) {
    return handOff(map.removeAsync(key), v -> (Void) null);
  }

  /**
   * Hazelcast's completion, mapped and completed as a plain future on {@link StoreCallbacks}'
   * pool (Hazelcast's default async executor runs this non-async stage there).
   */
  <T, R> CompletableFuture<R> handOff(CompletionStage<T> hazelcast, Function<? super T, ? extends R> map) {
    CompletableFuture<R> out = new CompletableFuture<>();
    hazelcast.whenComplete((v, e) -> {
      if (e != null) {
        out.completeExceptionally(e);
        return;
      }
      try {
        out.complete(map.apply(v));
      } catch (RuntimeException x) {
        out.completeExceptionally(x);
      }
    });
    return out;
  }

  @Override
  public void close() {
    if (ownsInstance) {
      hz.shutdown();
    }
  }
}
