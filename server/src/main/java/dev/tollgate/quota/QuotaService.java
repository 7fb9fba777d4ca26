package dev.tollgate.quota;

import dev.tollgate.stats.Histogram;
import dev.tollgate.stats.LabelledCounters;
import dev.tollgate.stats.LabelledHistograms;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reservations across several quota keys on a {@link QuotaStore}: reserve on every target (in
 * parallel), release the granted ones if any target refuses, settle or release later. Every stage
 * is bounded by the deadline; a late or failed store completes it exceptionally with {@link
 * StoreUnavailableException} — never a hang.
 *
 * <p>Threading: continuations run on whatever thread completes the store's stage (the caller's for
 * the in-memory store; the Hazelcast store hands completions to its own executor).
 */
public final class QuotaService {
  private static final Logger LOG = LoggerFactory.getLogger(QuotaService.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  /** How long a reservation is held for its settlement unless configured. */
  public static final Duration DEFAULT_PENDING_TTL = Duration.ofHours(1);

  private final QuotaStore store;
  private final Clock clock;
  private final Duration deadline;
  private final Duration pendingTtl;
  private final LongAdder lateReleases = new LongAdder();
  private final LongAdder expiredCount = new LongAdder();
  private final LabelledHistograms storeLatency =
      new LabelledHistograms(Histogram.LATENCY_SECONDS, StoreOperation.NAMES);
  private final LabelledCounters storeErrors = new LabelledCounters();

  public QuotaService(QuotaStore store, Clock clock, Duration deadline) {
    this(store, clock, deadline, DEFAULT_PENDING_TTL);
  }

  /**
   * @param pendingTtl how long a reservation waits for its settlement before {@link #expire} ends
   *     it
   */
  public QuotaService(QuotaStore store, Clock clock, Duration deadline, Duration pendingTtl) {
    this.store = store;
    this.clock = clock;
    this.deadline = deadline;
    this.pendingTtl = pendingTtl;
    for (String operation : StoreOperation.NAMES) {
      storeErrors.get(operation, "", ""); // exported at 0 before the first error
    }
  }

  /**
   * Reserves {@code charge} on every target, or on none, and holds the reservation until it is
   * settled, released or {@link #expire expires}. A grant that arrives after the deadline, or
   * alongside a refusal, is given back.
   */
  public CompletionStage<ReserveResult> reserve(List<QuotaTarget> targets, Charge charge) {
    return reserve(targets, charge, null);
  }

  /**
   * As {@link #reserve(List, Charge)}, the reservation held with {@code tag} (handed back by {@link
   * #expire(boolean, Consumer)} if it expires).
   */
  public CompletionStage<ReserveResult> reserve(
      List<QuotaTarget> targets, Charge charge, String tag) {
    return reserve(targets, charge, tag, true);
  }

  /**
   * As {@link #reserve(List, Charge)}, without holding the reservation: nothing will settle it (a
   * route that counts requests only), so it stays counted as reserved.
   */
  public CompletionStage<ReserveResult> reserveUnheld(List<QuotaTarget> targets, Charge charge) {
    return reserve(targets, charge, null, false);
  }

  private CompletionStage<ReserveResult> reserve(
      List<QuotaTarget> targets, Charge charge, String tag, boolean held) {
    long now = clock.millis();
    Reservation reservation =
        new Reservation(newId(), now, charge, targets.stream().map(QuotaTarget::key).toList(), tag);
    if (targets.isEmpty()) {
      return CompletableFuture.completedFuture(new ReserveResult.Reserved(reservation, List.of()));
    }
    List<CompletableFuture<KeyReserveResult>> raw = new ArrayList<>(targets.size());
    List<CompletableFuture<KeyReserveResult>> calls = new ArrayList<>(targets.size());
    for (QuotaTarget t : targets) {
      CompletableFuture<KeyReserveResult> r =
          call(
              StoreOperation.RESERVE,
              () -> store.reserve(t.key(), t.limits(), charge, now, t.enforce()));
      raw.add(r);
      calls.add(bounded(r));
    }
    return CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new))
        .handle(
            (v, e) -> {
              List<ReserveResult.TargetStatus> statuses = new ArrayList<>(targets.size());
              ReserveResult.OverQuota over = null;
              Throwable failure = null;
              for (int i = 0; i < targets.size(); i++) {
                CompletableFuture<KeyReserveResult> c = calls.get(i);
                if (c.isCompletedExceptionally()) {
                  failure = failure == null ? cause(c) : failure;
                  continue;
                }
                KeyReserveResult o = c.join();
                statuses.add(new ReserveResult.TargetStatus(targets.get(i), o.windows()));
                if (o instanceof KeyReserveResult.Refused r) {
                  ReserveResult.OverQuota candidate =
                      new ReserveResult.OverQuota(
                          targets.get(i), r.binding(), r.retryAfter(), r.neverFits());
                  if (over == null
                      || (candidate.neverFits() && !over.neverFits())
                      || (candidate.neverFits() == over.neverFits()
                          && candidate.retryAfter().compareTo(over.retryAfter()) > 0)) {
                    over = candidate;
                  }
                }
              }
              if (over != null || failure != null) {
                giveBackGrants(targets, raw, calls, charge, now);
              }
              if (failure != null) {
                throw unavailable(failure);
              }
              if (over != null) {
                return over;
              }
              return new ReserveResult.Reserved(reservation, statuses);
            })
        .thenCompose(
            d ->
                d instanceof ReserveResult.Reserved r && held
                    ? hold(r, targets, raw)
                    : CompletableFuture.completedFuture(d));
  }

  /**
   * Holds a granted reservation; if that fails, gives the grants back and reports the store
   * unavailable.
   */
  private CompletionStage<ReserveResult> hold(
      ReserveResult.Reserved r,
      List<QuotaTarget> targets,
      List<CompletableFuture<KeyReserveResult>> raw) {
    Reservation reservation = r.reservation();
    long now = clock.millis();
    CompletableFuture<Void> held =
        call(StoreOperation.HOLD, () -> store.hold(reservation, now + pendingTtl.toMillis(), now));
    return bounded(held)
        .handle(
            (v, e) -> {
              if (e == null) {
                return r;
              }
              giveBackGrants(targets, raw, raw, reservation.charge(), reservation.atMillis());
              // a hold that lands after the deadline must not outlive the grants it stood for
              held.thenRun(() -> store.take(reservation.id()));
              throw unavailable(e);
            });
  }

  /**
   * Gives back every grant of a reservation that will not be used, including grants the store makes
   * after the deadline has passed.
   */
  private void giveBackGrants(
      List<QuotaTarget> targets,
      List<CompletableFuture<KeyReserveResult>> raw,
      List<CompletableFuture<KeyReserveResult>> answered,
      Charge charge,
      long reservedAt) {
    for (int i = 0; i < targets.size(); i++) {
      String key = targets.get(i).key();
      boolean late = answered.get(i).isCompletedExceptionally();
      raw.get(i)
          .thenAccept(
              o -> {
                if (o instanceof KeyReserveResult.Granted) {
                  if (late) {
                    lateReleases.increment();
                  }
                  bounded(
                          call(
                              StoreOperation.ADJUST,
                              () ->
                                  store.adjust(
                                      key, charge, Charge.ZERO, reservedAt, clock.millis())))
                      .exceptionally(
                          x -> {
                            LOG.warn("store.release_failed: key {}: {}", key, x.toString());
                            return null;
                          });
                }
              });
    }
  }

  /**
   * Replaces a held reservation by the actual charge on every key it was made on; the reserved
   * requests stay counted whatever {@code actual} says (a request that was admitted counts). Only
   * the first settlement or release of a reservation id counts, on any replica; later ones, and ids
   * that were never held or have expired, change nothing.
   */
  public CompletionStage<Settlement> settle(String reservationId, Charge actual) {
    return settle(reservationId, actual, true);
  }

  private CompletionStage<Settlement> settle(
      String reservationId, Charge actual, boolean keepRequests) {
    return bounded(call(StoreOperation.TAKE, () -> store.take(reservationId)))
        .thenCompose(
            r -> {
              if (r == null) {
                return CompletableFuture.completedFuture(Settlement.NOT_HELD);
              }
              Charge replacement =
                  keepRequests ? actual.withRequests(r.charge().requests()) : actual;
              return adjustAll(r, replacement).thenApply(v -> Settlement.SETTLED);
            })
        .handle(
            (s, e) -> {
              if (e != null) {
                throw unavailable(e);
              }
              return s;
            });
  }

  /**
   * Gives a held reservation's tokens and money back (the upstream call failed); its requests stay
   * counted.
   */
  public CompletionStage<Settlement> release(String reservationId) {
    return settle(reservationId, Charge.ZERO);
  }

  /**
   * Gives a held reservation back entirely, requests included: the request never left Envoy (its
   * Check answer was lost), so it was never made.
   */
  public CompletionStage<Settlement> cancel(String reservationId) {
    return settle(reservationId, Charge.ZERO, false);
  }

  /**
   * Ends the held reservations whose time is up: {@code release} gives each back, otherwise each
   * stays charged as reserved. Blocks on the store: call it from a background thread.
   *
   * @return how many expired
   */
  public int expire(boolean release) {
    return expire(release, r -> {});
  }

  /**
   * As {@link #expire(boolean)}, handing each expired reservation (with its tag) to {@code
   * expired}, once cluster-wide.
   */
  public int expire(boolean release, Consumer<Reservation> expired) {
    long start = System.nanoTime();
    List<Reservation> taken;
    try {
      taken = store.takeExpired(clock.millis());
    } catch (RuntimeException e) {
      storeErrors.get(StoreOperation.TAKE_EXPIRED, "", "").increment();
      throw e;
    } finally {
      storeLatency.get(StoreOperation.TAKE_EXPIRED).observeNanos(System.nanoTime() - start);
    }
    expiredCount.add(taken.size());
    for (Reservation r : taken) {
      try {
        expired.accept(r);
      } catch (RuntimeException e) {
        LOG.warn("accounting.expired_callback_failed: {}: {}", r.id(), e.toString());
      }
      if (release) {
        adjustAll(r, Charge.ZERO.withRequests(r.charge().requests()))
            .exceptionally(
                x -> {
                  LOG.warn(
                      "store.release_failed: expired reservation {}: {}", r.id(), x.toString());
                  return null;
                });
      }
    }
    return taken.size();
  }

  /** How many reservations await their settlement (cluster-wide on Hazelcast). */
  public long heldCount() {
    return store.heldCount();
  }

  /** Reservations this replica ended because their settlement never came. */
  public long expiredCount() {
    return expiredCount.sum();
  }

  /** Grants given back because they arrived after the deadline or beside a refusal. */
  public long lateReleases() {
    return lateReleases.sum();
  }

  private CompletableFuture<Void> adjustAll(Reservation r, Charge actual) {
    long now = clock.millis();
    List<CompletableFuture<Void>> calls = new ArrayList<>(r.keys().size());
    for (String key : r.keys()) {
      calls.add(
          bounded(
              call(
                  StoreOperation.ADJUST,
                  () -> store.adjust(key, r.charge(), actual, r.atMillis(), now))));
    }
    return CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new));
  }

  /** The windows of one key. */
  public CompletionStage<List<WindowStatus>> status(String key, List<Limit> limits) {
    long now = clock.millis();
    return bounded(StoreOperation.STATUS, () -> store.status(key, limits, now))
        .handle(
            (s, e) -> {
              if (e != null) {
                throw unavailable(e);
              }
              return s;
            });
  }

  /** Forgets one key's usage. */
  public CompletionStage<Void> reset(String key) {
    return bounded(StoreOperation.RESET, () -> store.reset(key))
        .handle(
            (s, e) -> {
              if (e != null) {
                throw unavailable(e);
              }
              return null;
            });
  }

  /** The deadline applied to each store call. */
  public Duration deadline() {
    return deadline;
  }

  /**
   * Store call latency by operation ({@link StoreOperation}): from the call to its answer, however
   * late (a call past the deadline is counted when it completes).
   */
  public LabelledHistograms storeLatency() {
    return storeLatency;
  }

  /** Store calls whose answer was an error, by operation (the other two labels empty). */
  public LabelledCounters storeErrors() {
    return storeErrors;
  }

  /** Calls the store, timing the call until its answer (the one place store calls are timed). */
  private <T> CompletableFuture<T> call(String operation, Supplier<CompletionStage<T>> call) {
    long start = System.nanoTime();
    CompletableFuture<T> f;
    try {
      f = call.get().toCompletableFuture();
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    Histogram latency = storeLatency.get(operation);
    if (f.isDone()) {
      // the in-memory store answers at once: no continuation to allocate
      latency.observeNanos(System.nanoTime() - start);
      if (f.isCompletedExceptionally()) {
        storeErrors.get(operation, "", "").increment();
      }
      return f;
    }
    f.whenComplete(
        (v, e) -> {
          latency.observeNanos(System.nanoTime() - start);
          if (e != null) {
            storeErrors.get(operation, "", "").increment();
          }
        });
    return f;
  }

  private <T> CompletableFuture<T> bounded(String operation, Supplier<CompletionStage<T>> call) {
    return bounded(call(operation, call));
  }

  private <T> CompletableFuture<T> bounded(CompletableFuture<T> f) {
    if (f.isDone()) {
      return f;
    }
    // a copy, so that the timeout does not complete the store's own future
    return f.thenApply(x -> x).orTimeout(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static Throwable cause(CompletableFuture<?> f) {
    try {
      f.join();
      return null;
    } catch (CompletionException e) {
      return e.getCause() == null ? e : e.getCause();
    } catch (java.util.concurrent.CancellationException e) {
      return e;
    }
  }

  private static StoreUnavailableException unavailable(Throwable e) {
    while (e instanceof CompletionException && e.getCause() != null) {
      e = e.getCause();
    }
    if (e instanceof StoreUnavailableException s) {
      return s;
    }
    String what = e instanceof TimeoutException ? "store deadline exceeded" : "store failed: " + e;
    return new StoreUnavailableException(what, e);
  }

  private static String newId() {
    byte[] b = new byte[9];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
