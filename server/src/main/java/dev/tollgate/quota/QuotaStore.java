package dev.tollgate.quota;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Where quota usage lives. Each operation acts on one quota key atomically (in Hazelcast: one
 * EntryProcessor on the key's owner). Operations are asynchronous; callers put a deadline on them
 * ({@link QuotaService} does) and treat a late or failed stage as "store unavailable", which is a
 * different thing from "over quota".
 *
 * <p>Times are passed in (epoch millis from the caller's {@link java.time.Clock}) so that every
 * backend behaves the same and window logic is testable without sleeping.
 */
public interface QuotaStore extends AutoCloseable {

  /**
   * Checks every limit of {@code key} and, if all have room for {@code charge} at {@code
   * nowMillis}, adds the charge to each; otherwise changes nothing and refuses. With {@code enforce
   * == false} the charge is added without checking (counted, never refused).
   */
  CompletionStage<KeyReserveResult> reserve(
      String key, List<Limit> limits, Charge charge, long nowMillis, boolean enforce);

  /**
   * Replaces a reservation made at {@code reservedAtMillis} by the actual charge: adds {@code
   * actual - reserved} to the bucket that holds {@code reservedAtMillis} (if it is still in a
   * window), never taking a counter below zero. Releasing is {@code adjust(..., Charge.ZERO, ...)}.
   */
  CompletionStage<Void> adjust(
      String key, Charge reserved, Charge actual, long reservedAtMillis, long nowMillis);

  /** The state of every limit of {@code key}, without changing anything. */
  CompletionStage<List<WindowStatus>> status(String key, List<Limit> limits, long nowMillis);

  /** Forgets all usage of {@code key}. */
  CompletionStage<Void> reset(String key);

  /**
   * Records {@code reservation} as awaiting its settlement until {@code expiresAtMillis}. Held
   * reservations are what makes a settlement count at most once cluster-wide: only the caller that
   * {@link #take takes} one may settle or release it.
   */
  CompletionStage<Void> hold(Reservation reservation, long expiresAtMillis, long nowMillis);

  /**
   * Removes the held reservation {@code id} and completes with it, or with null when there is none
   * (already settled, released, expired, or never held). Atomic: of any number of callers on any
   * replica, at most one receives the reservation.
   */
  CompletionStage<Reservation> take(String id);

  /**
   * Takes every held reservation whose expiry is at or before {@code nowMillis} (on Hazelcast, of
   * the partitions this member owns; each is taken by one caller only). May block: call it from a
   * background thread.
   */
  List<Reservation> takeExpired(long nowMillis);

  /** How many reservations are held (on Hazelcast, cluster-wide; for metrics). */
  long heldCount();

  /** Releases resources (threads, cluster membership). */
  @Override
  void close();
}
