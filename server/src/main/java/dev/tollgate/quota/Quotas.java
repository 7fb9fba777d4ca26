package dev.tollgate.quota;

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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reservations across several quota keys on a {@link QuotaStore}: reserve on every target (in
 * parallel), release the granted ones if any target refuses, settle or release later. Every
 * stage is bounded by the deadline; a late or failed store completes it exceptionally with
 * {@link StoreUnavailableException} — never a hang.
 *
 * <p>Threading: continuations run on whatever thread completes the store's stage (the caller's
 * for the in-memory store; the Hazelcast store hands completions to its own executor).
 */
public final class Quotas {
  private static final Logger LOG = LoggerFactory.getLogger(Quotas.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final QuotaStore store;
  private final Clock clock;
  private final Duration deadline;

  public Quotas(QuotaStore store, Clock clock, Duration deadline) {
    this.store = store;
    this.clock = clock;
    this.deadline = deadline;
  }

  /** Reserves {@code charge} on every target, or on none. */
  public CompletionStage<QuotaDecision> reserve(List<Target> targets, Charge charge) {
    long now = clock.millis();
    Reservation reservation = new Reservation(newId(), now, charge,
        targets.stream().map(Target::key).toList());
    if (targets.isEmpty()) {
      return CompletableFuture.completedFuture(new QuotaDecision.Reserved(reservation, List.of()));
    }
    List<CompletableFuture<KeyOutcome>> calls = new ArrayList<>(targets.size());
    for (Target t : targets) {
      calls.add(bounded(() -> store.reserve(t.key(), t.limits(), charge, now, t.enforce())));
    }
    return CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).handle((v, e) -> {
      List<QuotaDecision.TargetStatus> statuses = new ArrayList<>(targets.size());
      QuotaDecision.OverQuota over = null;
      Throwable failure = null;
      for (int i = 0; i < targets.size(); i++) {
        CompletableFuture<KeyOutcome> c = calls.get(i);
        if (c.isCompletedExceptionally()) {
          failure = failure == null ? cause(c) : failure;
          continue;
        }
        KeyOutcome o = c.join();
        statuses.add(new QuotaDecision.TargetStatus(targets.get(i), o.windows()));
        if (o instanceof KeyOutcome.Refused r) {
          QuotaDecision.OverQuota candidate = new QuotaDecision.OverQuota(targets.get(i), r.binding(),
              r.retryAfter(), r.neverFits());
          if (over == null || (candidate.neverFits() && !over.neverFits())
              || (candidate.neverFits() == over.neverFits() && candidate.retryAfter().compareTo(over.retryAfter()) > 0)) {
            over = candidate;
          }
        }
      }
      if (over != null || failure != null) {
        // release what was granted
        for (int i = 0; i < targets.size(); i++) {
          CompletableFuture<KeyOutcome> c = calls.get(i);
          if (!c.isCompletedExceptionally() && c.join() instanceof KeyOutcome.Granted) {
            String key = targets.get(i).key();
            bounded(() -> store.adjust(key, charge, Charge.ZERO, now, clock.millis()))
                .exceptionally(x -> {
                  LOG.warn("store.release_failed: key {}: {}", key, x.toString());
                  return null;
                });
          }
        }
      }
      if (failure != null) {
        throw unavailable(failure);
      }
      if (over != null) {
        return over;
      }
      return new QuotaDecision.Reserved(reservation, statuses);
    });
  }

  /** Replaces a reservation by the actual charge on every key it was made on. */
  public CompletionStage<Void> settle(Reservation reservation, Charge actual) {
    long now = clock.millis();
    List<CompletableFuture<Void>> calls = new ArrayList<>();
    for (String key : reservation.keys()) {
      calls.add(bounded(() -> store.adjust(key, reservation.charge(), actual, reservation.atMillis(), now)));
    }
    return CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).handle((v, e) -> {
      if (e != null) {
        throw unavailable(e);
      }
      return null;
    });
  }

  /** Gives a reservation back entirely (the upstream call failed or never happened). */
  public CompletionStage<Void> release(Reservation reservation) {
    return settle(reservation, Charge.ZERO);
  }

  /** The windows of one key. */
  public CompletionStage<List<WindowStatus>> status(String key, List<Limit> limits) {
    long now = clock.millis();
    return bounded(() -> store.status(key, limits, now)).handle((s, e) -> {
      if (e != null) {
        throw unavailable(e);
      }
      return s;
    });
  }

  /** Forgets one key's usage. */
  public CompletionStage<Void> reset(String key) {
    return bounded(() -> store.reset(key)).handle((s, e) -> {
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

  private <T> CompletableFuture<T> bounded(java.util.function.Supplier<CompletionStage<T>> call) {
    CompletableFuture<T> f;
    try {
      f = call.get().toCompletableFuture();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
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
