package dev.tollgate.quota;

import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link QuotaStore} in front of the cluster's that admits most requests for a hot key from a
 * local slice of its budget, and coalesces adjusts, without giving up exactness.
 *
 * <p><b>Leases.</b> For a key this member saw several requests for in the previous {@link
 * #GRANULE_MILLIS granule}, it reserves a slice ({@link LeaseSizing}) on the cluster record in one
 * ordinary reservation — checked against every limit like any other, and refused whole if it does
 * not fit — and then admits requests made in the same granule with the same limits from that slice,
 * in memory. The unused part is given back (an adjust of the slice's bucket) when the granule ends,
 * when a request does not fit, and on {@link #close()}. Since the cluster was charged with the
 * whole slice before any of it was used, the cluster never admits more than a limit (over-admission
 * 0); and since every admission from a slice is made in the granule the slice was charged in — the
 * same bucket of every window, as windows are whole seconds and buckets whole multiples of 50 ms —
 * usage counts, rolls off and is settled exactly as with one reservation per request. A request
 * that a slice cannot serve is never refused locally: the slice's unused part is queued back and
 * the request reserved exactly on the cluster, which decides; when the cluster refuses while this
 * member had adjusts for the key queued or on their way, they are sent first and the request asked
 * once more. So this member's own slices never cause a refusal.
 *
 * <p><b>Not leased</b> (passed through as they are): unenforced reservations, keys without limits
 * or with a shadow limit, and windows that are not whole seconds.
 *
 * <p><b>Adjusts</b> (settlements, releases, given-back slices) are queued and sent every {@value
 * #TICK_MILLIS} ms, one call per key and granule ({@link AdjustBatcher}); each caller's stage
 * completes when its call is answered.
 *
 * <p>{@link #status}, {@link #hold}, {@link #take}, {@link #takeExpired} and {@link #heldCount}
 * pass through; {@link #reset} also drops this member's slice of the key (the reset forgets it).
 */
public final class LeasingQuotaStore implements QuotaStore {
  private static final Logger LOG = LoggerFactory.getLogger(LeasingQuotaStore.class);

  /**
   * The time a slice is valid in, at most: every bucket boundary of a whole-second window (a bucket
   * is 1/20 of it) and every month start is a multiple of it.
   */
  public static final long GRANULE_MILLIS = 50;

  /** How often queued adjusts are sent and expired slices given back. */
  public static final long TICK_MILLIS = 20;

  /** How long a key's local state outlives its last request. */
  static final long IDLE_MILLIS = 10_000;

  private static final long CLOSE_WAIT_MILLIS = 5_000;

  private final QuotaStore cluster;
  private final Clock clock;
  private final IntSupplier members;
  private final AdjustBatcher adjusts;
  private final ConcurrentHashMap<String, KeyLeases> keys = new ConcurrentHashMap<>();

  /** The keys that may hold a slice (each tick looks at these only). */
  private final Set<String> leased = ConcurrentHashMap.newKeySet();

  private long ticks;
  private final Set<CompletableFuture<?>> taking = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService ticker;
  private volatile boolean closed;

  private final LongAdder leasesTaken = new LongAdder();
  private final LongAdder leasesReturned = new LongAdder();
  private final LongAdder localAdmissions = new LongAdder();
  private final LongAdder reserveCalls = new LongAdder();
  private final LongAdder returnFailures = new LongAdder();

  /**
   * @param cluster the store every member shares (closed with this one)
   * @param clock when slices expire (requests bring their own times)
   * @param members how many members may hold slices (a slice's share of what is left shrinks with
   *     it)
   */
  public LeasingQuotaStore(QuotaStore cluster, Clock clock, IntSupplier members) {
    this(cluster, clock, members, TICK_MILLIS);
  }

  /** As the public constructor, ticking every {@code tickMillis} (tests: rarely, then by hand). */
  LeasingQuotaStore(QuotaStore cluster, Clock clock, IntSupplier members, long tickMillis) {
    this.cluster = cluster;
    this.clock = clock;
    this.members = members;
    this.adjusts = new AdjustBatcher(cluster);
    this.ticker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "tollgate-leases");
              t.setDaemon(true);
              return t;
            });
    ticker.scheduleWithFixedDelay(this::tick, tickMillis, tickMillis, TimeUnit.MILLISECONDS);
  }

  /** The granule holding {@code millis}. */
  static long granule(long millis) {
    return Math.floorDiv(millis, GRANULE_MILLIS);
  }

  @Override
  public CompletionStage<KeyReserveResult> reserve(
      String key, List<Limit> limits, Charge charge, long nowMillis, boolean enforce) {
    if (closed || !enforce || !leasable(limits)) {
      return reserveOnCluster(key, limits, charge, nowMillis, enforce);
    }
    while (true) {
      KeyLeases st = keys.computeIfAbsent(key, k -> new KeyLeases());
      Lease toReturn = null;
      CompletableFuture<Void> wait = null;
      Charge slice = null;
      synchronized (st) {
        if (st.dead) {
          continue;
        }
        st.touched = clock.millis();
        st.lastNow = Math.max(st.lastNow, nowMillis);
        long g = granule(nowMillis);
        st.demand.observe(g, charge);
        Lease l = st.lease;
        if (l != null && l.serves(limits, nowMillis) && l.take(charge)) {
          localAdmissions.increment();
          return CompletableFuture.completedFuture(
              new KeyReserveResult.Granted(l.windows(nowMillis)));
        }
        if (l != null) {
          // not servable (full, another granule or other limits): its unused part must not
          // count against this request's reservation on the cluster
          toReturn = st.detach(nowMillis);
          queueReturn(key, toReturn, nowMillis); // under the lock: never neither held nor queued
        }
        if (st.taking != null) {
          if (st.takingGranule == g && st.takingLimits.equals(limits)) {
            wait = st.taking;
          }
        } else if (st.lease == null) {
          slice = LeaseSizing.slice(limits, st.windowsFor(limits), st.demand, charge, members());
          if (slice != null) {
            st.taking = new CompletableFuture<>();
            st.takingGranule = g;
            st.takingLimits = limits;
          }
        }
      }
      if (toReturn != null && closed) {
        adjusts.flush(key); // the ticker may have stopped
      }
      if (wait != null) {
        return wait.thenCompose(v -> afterWait(key, st, limits, charge, nowMillis));
      }
      if (slice != null) {
        return takeLease(key, st, limits, slice, charge, nowMillis);
      }
      return exact(key, st, limits, charge, nowMillis);
    }
  }

  private int members() {
    try {
      return Math.max(1, members.getAsInt());
    } catch (RuntimeException e) {
      return 1;
    }
  }

  /** Whether reservations on {@code limits} may be served from a slice. */
  static boolean leasable(List<Limit> limits) {
    if (limits.isEmpty()) {
      return false;
    }
    for (Limit l : limits) {
      Window w = l.window();
      if (l.shadow() || (!w.calendarMonth() && w.length().toMillis() % 1000 != 0)) {
        return false;
      }
    }
    return true;
  }

  /** A request that waited for its key's slice: admitted from it if it fits, else exactly. */
  private CompletionStage<KeyReserveResult> afterWait(
      String key, KeyLeases st, List<Limit> limits, Charge charge, long now) {
    synchronized (st) {
      Lease l = st.lease;
      if (l != null && l.serves(limits, now) && l.take(charge)) {
        localAdmissions.increment();
        return CompletableFuture.completedFuture(new KeyReserveResult.Granted(l.windows(now)));
      }
      if (l != null) {
        queueReturn(key, st.detach(now), now);
      }
    }
    if (closed) {
      adjusts.flush(key);
    }
    return exact(key, st, limits, charge, now);
  }

  /**
   * Reserves a slice; admits the request from it, or exactly when the cluster refuses the slice.
   */
  private CompletionStage<KeyReserveResult> takeLease(
      String key, KeyLeases st, List<Limit> limits, Charge slice, Charge charge, long now) {
    CompletableFuture<KeyReserveResult> call =
        reserveOnCluster(key, limits, slice, now, true).toCompletableFuture();
    CompletableFuture<CompletionStage<KeyReserveResult>> handled =
        call.handle(
            (r, e) -> {
              CompletableFuture<Void> done = null;
              Lease late = null;
              KeyReserveResult out = null;
              try {
                synchronized (st) {
                  done = st.taking;
                  st.taking = null;
                  if (r instanceof KeyReserveResult.Granted g) {
                    leasesTaken.increment();
                    Lease lease = new Lease(limits, now, slice, g.windows());
                    lease.take(charge);
                    out = new KeyReserveResult.Granted(lease.windows(now));
                    if (st.abandonTake) {
                      // reset while the slice was reserved: whether it was charged before the reset
                      // (and forgotten) or after is unknown; leaving it charged cannot over-admit
                      st.abandonTake = false;
                    } else if (closed || st.lease != null) {
                      late = lease;
                      queueReturn(key, late, now);
                    } else {
                      st.lease = lease;
                      leased.add(key);
                    }
                  } else if (r != null) {
                    st.remember(limits, r.windows());
                  }
                }
              } finally {
                if (done != null) {
                  done.complete(null); // the requests that waited for the slice go on
                }
              }
              if (late != null && closed) {
                adjusts.flush(key);
              }
              if (e != null) {
                return CompletableFuture.<KeyReserveResult>failedFuture(e);
              }
              if (out != null) {
                localAdmissions.increment();
                return CompletableFuture.completedFuture(out);
              }
              return exact(key, st, limits, charge, now);
            });
    // close() waits for slices being reserved, until each is installed or queued to go back
    taking.add(handled);
    handled.whenComplete((x, e) -> taking.remove(handled));
    return handled.thenCompose(x -> x);
  }

  /**
   * Reserves {@code charge} on the cluster; a refusal while this member's adjusts of the key are
   * queued or on their way is asked again once they have arrived.
   */
  private CompletionStage<KeyReserveResult> exact(
      String key, KeyLeases st, List<Limit> limits, Charge charge, long now) {
    // what was queued or on its way when the cluster decided may have arrived since: ask again
    boolean pendingBefore = adjusts.pending(key);
    return reserveOnCluster(key, limits, charge, now, true)
        .thenCompose(
            r -> {
              st.rememberLocked(limits, r.windows());
              if (r instanceof KeyReserveResult.Refused
                  && (pendingBefore || adjusts.pending(key))) {
                return adjusts
                    .flush(key)
                    .thenCompose(v -> reserveOnCluster(key, limits, charge, now, true))
                    .thenApply(
                        again -> {
                          st.rememberLocked(limits, again.windows());
                          return again;
                        });
              }
              return CompletableFuture.completedFuture(r);
            });
  }

  private CompletionStage<KeyReserveResult> reserveOnCluster(
      String key, List<Limit> limits, Charge charge, long now, boolean enforce) {
    reserveCalls.increment();
    try {
      return cluster.reserve(key, limits, charge, now, enforce);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e); // a slice being taken must always end
    }
  }

  /**
   * Queues the unused part of {@code lease} to be given back. Called under the key's lock, in the
   * same step that takes the lease away, so that a refusal's second look ({@link #exact}) never
   * misses it; sends nothing itself.
   */
  private void queueReturn(String key, Lease lease, long now) {
    leasesReturned.increment();
    adjusts
        .add(key, lease.slice, lease.used(), lease.t0, Math.max(now, lease.t0))
        .whenComplete(
            (v, e) -> {
              if (e != null) {
                returnFailures.increment();
                LOG.warn(
                    "store.lease_return_failed: key {}: the unused slice stays counted until its"
                        + " bucket leaves the window: {}",
                    key,
                    e.toString());
              }
            });
  }

  @Override
  public CompletionStage<Void> adjust(
      String key, Charge reserved, Charge actual, long reservedAtMillis, long nowMillis) {
    if (closed) {
      return cluster.adjust(key, reserved, actual, reservedAtMillis, nowMillis);
    }
    CompletableFuture<Void> queued =
        adjusts.add(key, reserved, actual, reservedAtMillis, nowMillis);
    if (closed) {
      adjusts.flush(key); // closed while it was queued: the ticker may have stopped
    }
    return queued;
  }

  /** Gives back the slices whose granule has ended, sends queued adjusts, forgets idle keys. */
  void tick() {
    try {
      long now = clock.millis();
      long g = granule(now);
      for (String key : leased) {
        KeyLeases st = keys.get(key);
        if (st == null) {
          leased.remove(key);
          continue;
        }
        synchronized (st) {
          if (st.lease != null && st.lease.granule < g) {
            queueReturn(key, st.detach(st.lastNow), st.lastNow);
          }
          if (st.lease == null) {
            leased.remove(key); // added again, under this lock, with the next slice
          }
        }
      }
      adjusts.flush();
      if (++ticks % (1000 / TICK_MILLIS) == 0) {
        forgetIdle(now);
      }
    } catch (RuntimeException e) {
      LOG.warn("store.lease_tick_failed: {}", e.toString());
    }
  }

  /** Forgets the keys without a slice that saw no request for {@link #IDLE_MILLIS}. */
  private void forgetIdle(long now) {
    for (var e : keys.entrySet()) {
      KeyLeases st = e.getValue();
      synchronized (st) {
        if (st.lease == null && st.taking == null && now - st.touched > IDLE_MILLIS) {
          st.dead = true;
          keys.remove(e.getKey(), st);
        }
      }
    }
  }

  @Override
  public CompletionStage<List<WindowStatus>> status(
      String key, List<Limit> limits, long nowMillis) {
    return cluster.status(key, limits, nowMillis);
  }

  @Override
  public CompletionStage<Void> reset(String key) {
    KeyLeases st = keys.get(key);
    if (st != null) {
      synchronized (st) {
        st.lease = null; // the reset forgets the slice with the rest
        st.abandonTake = st.taking != null;
      }
    }
    return cluster.reset(key);
  }

  @Override
  public CompletionStage<Void> hold(Reservation reservation, long expiresAtMillis, long nowMillis) {
    return cluster.hold(reservation, expiresAtMillis, nowMillis);
  }

  @Override
  public CompletionStage<Reservation> take(String id) {
    return cluster.take(id);
  }

  @Override
  public List<Reservation> takeExpired(long nowMillis) {
    return cluster.takeExpired(nowMillis);
  }

  @Override
  public long heldCount() {
    return cluster.heldCount();
  }

  /** Slices reserved on the cluster so far. */
  public long leasesTaken() {
    return leasesTaken.sum();
  }

  /** Slices given back (or queued to be) so far. */
  public long leasesReturned() {
    return leasesReturned.sum();
  }

  /** Requests admitted from a slice (the one whose reservation took it included). */
  public long localAdmissions() {
    return localAdmissions.sum();
  }

  /** Reservation calls made to the cluster store (slices, exact and passed-through ones). */
  public long reserveCalls() {
    return reserveCalls.sum();
  }

  /** Adjust calls made to the cluster store (coalesced settlements and given-back slices). */
  public long adjustCalls() {
    return adjusts.calls();
  }

  /** Adjust calls that failed: their callers were told, or a given-back slice stays counted. */
  public long adjustFailures() {
    return adjusts.failures();
  }

  /**
   * Gives back every slice, sends every queued adjust and waits (up to 5 s) for the answers, then
   * closes the cluster store.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    ticker.shutdown();
    try {
      ticker.awaitTermination(1, TimeUnit.SECONDS);
      CompletableFuture.allOf(taking.toArray(CompletableFuture[]::new))
          .exceptionally(e -> null)
          .get(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      LOG.warn("store.lease_close_incomplete: slices still being reserved: {}", e.toString());
    }
    for (var e : keys.entrySet()) {
      KeyLeases st = e.getValue();
      synchronized (st) {
        if (st.lease != null) {
          queueReturn(e.getKey(), st.detach(st.lastNow), st.lastNow);
        }
      }
    }
    adjusts.flush();
    try {
      adjusts.drained().get(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      LOG.warn("store.lease_close_incomplete: adjusts unanswered: {}", e.toString());
    }
    cluster.close();
  }

  /** One key's local state; every field guarded by the object's monitor. */
  private static final class KeyLeases {
    final LeaseSizing.Demand demand = new LeaseSizing.Demand();
    Lease lease;
    CompletableFuture<Void> taking;
    long takingGranule;
    List<Limit> takingLimits;
    boolean abandonTake;
    List<Limit> windowLimits;
    List<WindowStatus> windows;
    long lastNow = Long.MIN_VALUE;
    long touched;
    boolean dead;

    /** Takes the lease away, remembering the windows as they stand without its unused part. */
    Lease detach(long now) {
      Lease l = lease;
      lease = null;
      remember(l.limits, l.windows(now));
      return l;
    }

    void remember(List<Limit> limits, List<WindowStatus> ws) {
      windowLimits = limits;
      windows = ws;
    }

    synchronized void rememberLocked(List<Limit> limits, List<WindowStatus> ws) {
      remember(limits, ws);
    }

    List<WindowStatus> windowsFor(List<Limit> limits) {
      return limits.equals(windowLimits) ? windows : null;
    }
  }
}
