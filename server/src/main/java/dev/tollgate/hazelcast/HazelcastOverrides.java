package dev.tollgate.hazelcast;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.map.IMap;
import com.hazelcast.map.MapEvent;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryEvictedListener;
import com.hazelcast.map.listener.EntryExpiredListener;
import com.hazelcast.map.listener.EntryLoadedListener;
import com.hazelcast.map.listener.EntryMergedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import com.hazelcast.map.listener.MapClearedListener;
import dev.tollgate.quota.LimitOverride;
import dev.tollgate.quota.Overrides;
import dev.tollgate.quota.QuotaTarget;
import dev.tollgate.quota.Scope;
import dev.tollgate.quota.StoreUnavailableException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Overrides in the cluster-wide map {@value HazelcastSetup#OVERRIDES_MAP} (written through to the
 * database when persistence is on), with a copy on every member kept current by an entry listener:
 * {@link #get} on the Check path reads the copy, never the network. A change made on one member
 * applies on the others as soon as its event arrives (milliseconds); on the member that made it, at
 * once.
 */
public final class HazelcastOverrides implements Overrides, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HazelcastOverrides.class);

  private final HazelcastInstance hz;
  private final IMap<String, LimitOverride> map;
  private final ConcurrentMap<String, LimitOverride> local = new ConcurrentHashMap<>();
  private final UUID listener;
  private final UUID lifecycle;

  /** Keys an event arrived for while the first copy was made: the event is newer than the copy. */
  private volatile Set<String> changedWhileCopying = ConcurrentHashMap.newKeySet();

  public HazelcastOverrides(HazelcastInstance hz) {
    this.hz = hz;
    this.map = hz.getMap(HazelcastSetup.OVERRIDES_MAP);
    // listen first, then copy: a change made meanwhile is seen by one or the other, and where by
    // both, the event wins
    this.listener = map.addEntryListener(new Listener(), true);
    for (var e : map.entrySet()) {
      if (!changedWhileCopying.contains(e.getKey())) {
        local.putIfAbsent(e.getKey(), e.getValue());
      }
    }
    changedWhileCopying = null;
    // events missed while cut off (a client's reconnection, a member's split-brain merge): copy
    // again
    this.lifecycle =
        hz.getLifecycleService()
            .addLifecycleListener(
                e -> {
                  if (e.getState() == LifecycleEvent.LifecycleState.CLIENT_CONNECTED
                      || e.getState() == LifecycleEvent.LifecycleState.MERGED) {
                    CompletableFuture.runAsync(this::recopy);
                  }
                });
    if (!local.isEmpty()) {
      LOG.info("overrides.loaded: {} override(s)", local.size());
    }
  }

  @Override
  public Optional<LimitOverride> get(Scope scope, String id) {
    if (local.isEmpty()) {
      return Optional.empty();
    }
    return Optional.ofNullable(local.get(QuotaTarget.keyOf(scope, id)));
  }

  @Override
  public LimitOverride set(LimitOverride override) {
    try {
      map.set(override.key(), override);
    } catch (RuntimeException e) {
      throw new StoreUnavailableException("overrides: cannot set: " + e.getMessage(), e);
    }
    // at once on this member; unless the event of a later change (from another member) came first
    local.merge(
        override.key(),
        override,
        (current, mine) -> current.updatedAtMillis() > mine.updatedAtMillis() ? current : mine);
    return override;
  }

  @Override
  public boolean clear(Scope scope, String id) {
    String key = QuotaTarget.keyOf(scope, id);
    long now = System.currentTimeMillis();
    LimitOverride old;
    try {
      old = map.remove(key);
    } catch (RuntimeException e) {
      throw new StoreUnavailableException("overrides: cannot clear: " + e.getMessage(), e);
    }
    // at once on this member; unless the event of a later set (from another member) came first
    local.computeIfPresent(key, (k, current) -> current.updatedAtMillis() > now ? current : null);
    return old != null;
  }

  @Override
  public List<LimitOverride> list(Scope scope) {
    try {
      return Overrides.sorted(map.values(), scope);
    } catch (RuntimeException e) {
      throw new StoreUnavailableException("overrides: cannot list: " + e.getMessage(), e);
    }
  }

  /** Makes this member's copy the map's again. */
  void recopy() {
    try {
      Map<String, LimitOverride> all = Map.copyOf(map);
      local.keySet().retainAll(all.keySet());
      local.putAll(all);
      LOG.info("overrides.recopied: {} override(s)", all.size());
    } catch (RuntimeException e) {
      LOG.warn("overrides.recopy_failed: {}", e.toString());
    }
  }

  /** How many overrides this member's copy holds. */
  public int localCount() {
    return local.size();
  }

  @Override
  public void close() {
    try {
      hz.getLifecycleService().removeLifecycleListener(lifecycle);
      map.removeEntryListener(listener);
    } catch (RuntimeException e) {
      // the instance is already stopping
    }
  }

  private final class Listener
      implements EntryAddedListener<String, LimitOverride>,
          EntryUpdatedListener<String, LimitOverride>,
          EntryLoadedListener<String, LimitOverride>,
          EntryRemovedListener<String, LimitOverride>,
          EntryEvictedListener<String, LimitOverride>,
          EntryExpiredListener<String, LimitOverride>,
          EntryMergedListener<String, LimitOverride>,
          MapClearedListener {
    @Override
    public void entryAdded(EntryEvent<String, LimitOverride> e) {
      put(e);
    }

    @Override
    public void entryUpdated(EntryEvent<String, LimitOverride> e) {
      put(e);
    }

    @Override
    public void entryLoaded(EntryEvent<String, LimitOverride> e) {
      put(e);
    }

    @Override
    public void entryMerged(EntryEvent<String, LimitOverride> e) {
      put(e);
    }

    @Override
    public void entryRemoved(EntryEvent<String, LimitOverride> e) {
      copying(e.getKey());
      local.remove(e.getKey());
    }

    @Override
    public void entryEvicted(EntryEvent<String, LimitOverride> e) {
      // evicted from memory only (never configured): the override still exists
    }

    @Override
    public void entryExpired(EntryEvent<String, LimitOverride> e) {
      copying(e.getKey());
      local.remove(e.getKey());
    }

    @Override
    public void mapCleared(MapEvent event) {
      local.clear();
    }

    private void put(EntryEvent<String, LimitOverride> e) {
      copying(e.getKey());
      if (e.getValue() != null) {
        local.put(e.getKey(), e.getValue());
      }
    }

    private void copying(String key) {
      Set<String> s = changedWhileCopying;
      if (s != null) {
        s.add(key);
      }
    }
  }
}
