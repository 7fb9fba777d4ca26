package dev.tollgate.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.tollgate.quota.Charge;
import dev.tollgate.quota.KeyReserveResult;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.QuotaStore;
import dev.tollgate.quota.Reservation;
import dev.tollgate.quota.UsageRecord;
import dev.tollgate.quota.WindowStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * {@link QuotaStore} on a Hazelcast {@code IMap}: every change is an entry processor on the key's
 * owner ({@code submitToKey}), never get-then-put. The stages returned are plain futures completed
 * on {@link StoreCallbacks}' pool, so Hazelcast's threads never run Tollgate's continuations and
 * each call costs one thread hand-off.
 */
public final class HazelcastQuotaStore implements QuotaStore {
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(HazelcastQuotaStore.class);
  private static final long HELD_MARGIN_MILLIS = 10 * 60_000L;

  /** The longest a stop waits for pending usage to reach the database. */
  public static final java.time.Duration FLUSH_TIMEOUT = java.time.Duration.ofSeconds(20);

  private final HazelcastInstance hz;
  private final IMap<String, UsageRecord> map;

  /** Held reservations by id ({@link HeldReservations}; text from earlier versions). */
  private final IMap<String, Object> pending;

  private final boolean ownsInstance;
  private final PersistentMaps persistence;
  private volatile boolean member = true;

  /**
   * @param hz a member or client
   * @param ownsInstance shut {@code hz} down on close
   */
  public HazelcastQuotaStore(HazelcastInstance hz, boolean ownsInstance) {
    this(hz, ownsInstance, null);
  }

  /**
   * @param hz a member or client
   * @param ownsInstance shut {@code hz} down on close
   * @param persistence the database the member writes usage to, or null: flushed before {@code hz}
   *     stops and closed after it
   */
  public HazelcastQuotaStore(
      HazelcastInstance hz, boolean ownsInstance, PersistentMaps persistence) {
    this.persistence = persistence;
    this.hz = hz;
    this.map = hz.getMap(HazelcastSetup.USAGE_MAP);
    this.pending = hz.getMap(HazelcastSetup.PENDING_MAP);
    this.ownsInstance = ownsInstance;
    StoreCallbacks.install();
  }

  /** The Hazelcast instance. */
  public HazelcastInstance instance() {
    return hz;
  }

  @Override
  public CompletionStage<KeyReserveResult> reserve(
      String key, List<Limit> limits, Charge charge, long nowMillis, boolean enforce) {
    return StoreCallbacks.complete(
        map.submitToKey(key, new RecordProcessors.Reserve(limits, charge, nowMillis, enforce)),
        o -> o.value);
  }

  @Override
  public CompletionStage<Void> adjust(
      String key, Charge reserved, Charge actual, long reservedAtMillis, long nowMillis) {
    return StoreCallbacks.complete(
        map.submitToKey(
            key, new RecordProcessors.Adjust(reserved, actual, reservedAtMillis, nowMillis)),
        b -> (Void) null);
  }

  @Override
  public CompletionStage<List<WindowStatus>> status(
      String key, List<Limit> limits, long nowMillis) {
    return StoreCallbacks.complete(
        map.submitToKey(key, new RecordProcessors.Status(limits, nowMillis)),
        o -> o.value.windows());
  }

  @Override
  public CompletionStage<Void> reset(String key) {
    return StoreCallbacks.complete(map.removeAsync(key), v -> (Void) null);
  }

  @Override
  public CompletionStage<Void> hold(Reservation reservation, long expiresAtMillis, long nowMillis) {
    // the entry outlives its expiry by a margin, so that the sweep (not Hazelcast's expiry) decides
    long ttl = Math.max(1000, expiresAtMillis - nowMillis) + HELD_MARGIN_MILLIS;
    return StoreCallbacks.complete(
        pending.setAsync(
            reservation.id(),
            HeldReservations.encode(reservation, expiresAtMillis),
            ttl,
            TimeUnit.MILLISECONDS),
        v -> (Void) null);
  }

  @Override
  public CompletionStage<Reservation> take(String id) {
    return StoreCallbacks.complete(
        pending.removeAsync(id), v -> v == null ? null : HeldReservations.decode(id, v));
  }

  @Override
  public List<Reservation> takeExpired(long nowMillis) {
    ExpiredPending expired = new ExpiredPending(nowMillis);
    Set<String> ids;
    if (member) {
      try {
        ids = pending.localKeySet(expired);
      } catch (UnsupportedOperationException client) {
        member = false;
        ids = pending.keySet(expired);
      }
    } else {
      ids = pending.keySet(expired);
    }
    List<Reservation> out = new ArrayList<>(ids.size());
    for (String id : ids) {
      Object v = pending.remove(id);
      if (v != null) {
        try {
          out.add(HeldReservations.decode(id, v));
        } catch (IllegalArgumentException e) {
          LOG.warn("accounting.held_unreadable: {}: {}", id, e.getMessage());
        }
      }
    }
    return out;
  }

  @Override
  public long heldCount() {
    return pending.size();
  }

  /** The database usage is written to, or null. */
  public PersistentMaps persistence() {
    return persistence;
  }

  @Override
  public void close() {
    if (persistence != null && hz.getLifecycleService().isRunning()) {
      persistence.flush(hz, FLUSH_TIMEOUT);
    }
    if (ownsInstance) {
      hz.shutdown();
    }
    if (persistence != null) {
      persistence.close();
    }
  }
}
