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
import java.util.concurrent.CompletionStage;

/**
 * {@link QuotaStore} on a Hazelcast {@code IMap}: every change is an entry processor on the
 * key's owner ({@code submitToKey}), never get-then-put. The stages returned are plain futures
 * completed on {@link StoreCallbacks}' pool, so Hazelcast's threads never run Tollgate's
 * continuations and each call costs one thread hand-off.
 */
public final class HazelcastQuotaStore implements QuotaStore {
  private final HazelcastInstance hz;
  private final IMap<String, UsageRecord> map;
  private final boolean ownsInstance;

  /**
   * @param hz a member or client
   * @param ownsInstance shut {@code hz} down on close
   */
  public HazelcastQuotaStore(HazelcastInstance hz, boolean ownsInstance) {
    this.hz = hz;
    this.map = hz.getMap(HazelcastSetup.USAGE_MAP);
    this.ownsInstance = ownsInstance;
    StoreCallbacks.install();
  }

  /** The Hazelcast instance. */
  public HazelcastInstance instance() {
    return hz;
  }

  @Override
  public CompletionStage<KeyOutcome> reserve(String key, List<Limit> limits, Charge charge, long nowMillis,
      boolean enforce) {
    return StoreCallbacks.complete(map.submitToKey(key, new RecordProcessors.Reserve(limits, charge, nowMillis, enforce)), o -> o.value);
  }

  @Override
  public CompletionStage<Void> adjust(String key, Charge reserved, Charge actual, long reservedAtMillis,
      long nowMillis) {
    return StoreCallbacks.complete(map.submitToKey(key, new RecordProcessors.Adjust(reserved, actual, reservedAtMillis, nowMillis)),
        b -> (Void) null);
  }

  @Override
  public CompletionStage<List<WindowStatus>> status(String key, List<Limit> limits, long nowMillis) {
    return StoreCallbacks.complete(map.submitToKey(key, new RecordProcessors.Status(limits, nowMillis)), o -> o.value.windows());
  }

  @Override
  public CompletionStage<Void> reset(String key) {
    return StoreCallbacks.complete(map.removeAsync(key), v -> (Void) null);
  }

  @Override
  public void close() {
    if (ownsInstance) {
      hz.shutdown();
    }
  }
}
