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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link QuotaStore} on a Hazelcast {@code IMap}: every change is an entry processor on the
 * key's owner ({@code submitToKey}), never get-then-put. Completions are handed to a small
 * executor of Tollgate's own, so that Hazelcast's threads never run Tollgate's continuations and
 * a one-worker common pool (2-core machines) cannot throttle them.
 */
public final class HazelcastQuotaStore implements QuotaStore {
  private final HazelcastInstance hz;
  private final IMap<String, UsageRecord> map;
  private final ExecutorService callbacks;
  private final boolean ownsInstance;

  /**
   * @param hz a member or client
   * @param ownsInstance shut {@code hz} down on close
   */
  public HazelcastQuotaStore(HazelcastInstance hz, boolean ownsInstance) {
    this.hz = hz;
    this.map = hz.getMap(HazelcastSetup.USAGE_MAP);
    this.ownsInstance = ownsInstance;
    AtomicInteger id = new AtomicInteger();
    int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
    this.callbacks = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "tollgate-store-" + id.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** The executor continuations run on (also used by the nonce store). */
  public ExecutorService callbackExecutor() {
    return callbacks;
  }

  /** The Hazelcast instance. */
  public HazelcastInstance instance() {
    return hz;
  }

  @Override
  public CompletionStage<KeyOutcome> reserve(String key, List<Limit> limits, Charge charge, long nowMillis,
      boolean enforce) {
    return map.submitToKey(key, new RecordProcessors.Reserve(limits, charge, nowMillis, enforce))
        .thenApplyAsync(o -> o.value, callbacks);
  }

  @Override
  public CompletionStage<Void> adjust(String key, Charge reserved, Charge actual, long reservedAtMillis,
      long nowMillis) {
    return map.submitToKey(key, new RecordProcessors.Adjust(reserved, actual, reservedAtMillis, nowMillis))
        .thenApplyAsync(b -> (Void) null, callbacks);
  }

  @Override
  public CompletionStage<List<WindowStatus>> status(String key, List<Limit> limits, long nowMillis) {
    return map.submitToKey(key, new RecordProcessors.Status(limits, nowMillis))
        .thenApplyAsync(o -> o.value.windows(), callbacks);
  }

  @Override
  public CompletionStage<Void> reset(String key) {
    return map.removeAsync(key).thenApplyAsync(v -> (Void) null, callbacks);
  }

  @Override
  public void close() {
    callbacks.shutdown();
    try {
      callbacks.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (ownsInstance) {
      hz.shutdown();
    }
  }
}
