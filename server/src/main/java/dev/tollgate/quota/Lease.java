package dev.tollgate.quota;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A slice of one key's budget that the cluster record was charged with at {@code t0}, from which
 * this member admits requests made in the same {@link LeasingQuotaStore#GRANULE_MILLIS granule} as
 * {@code t0} without a store call. Not thread-safe: its key's {@code KeyLeases} guards it.
 */
final class Lease {
  final List<Limit> limits;
  final long t0;
  final long granule;
  final Charge slice;
  private final List<WindowStatus> atLease;
  private long tokens;
  private long nanoUsd;
  private long requests;
  private long admitted;

  /**
   * @param limits the limits the slice was checked against
   * @param t0 when the slice was charged (the bucket every admission from it counts in)
   * @param slice what the record was charged
   * @param atLease the windows right after the slice was charged
   */
  Lease(List<Limit> limits, long t0, Charge slice, List<WindowStatus> atLease) {
    this.limits = limits;
    this.t0 = t0;
    this.granule = LeasingQuotaStore.granule(t0);
    this.slice = slice;
    this.atLease = atLease;
  }

  /** Whether a request with {@code limits} made at {@code now} may be admitted from this slice. */
  boolean serves(List<Limit> limits, long now) {
    return LeasingQuotaStore.granule(now) == granule && this.limits.equals(limits);
  }

  /** Counts {@code charge} as admitted from the slice if every unit has room; else false. */
  boolean take(Charge charge) {
    if (charge.tokens() > slice.tokens() - tokens
        || charge.nanoUsd() > slice.nanoUsd() - nanoUsd
        || charge.requests() > slice.requests() - requests) {
      return false;
    }
    tokens += charge.tokens();
    nanoUsd += charge.nanoUsd();
    requests += charge.requests();
    admitted++;
    return true;
  }

  /** What was admitted from the slice so far. */
  Charge used() {
    return new Charge(tokens, nanoUsd, requests);
  }

  /** How many requests were admitted from the slice (the first, which took it, included). */
  long admitted() {
    return admitted;
  }

  /**
   * The windows as the cluster would show them had only what was admitted from the slice been
   * charged: the windows at lease time less the unused part, {@code resetIn} less the time since.
   */
  List<WindowStatus> windows(long now) {
    List<WindowStatus> out = new ArrayList<>(atLease.size());
    for (WindowStatus w : atLease) {
      Limit l = w.limit();
      long unused = l.amountOf(slice) - l.amountOf(used());
      long used = Math.max(0, w.used() - unused);
      Duration resetIn = w.resetIn().minusMillis(Math.max(0, now - t0));
      out.add(
          new WindowStatus(
              l,
              used,
              Math.max(0, l.max() - used),
              resetIn.isNegative() ? Duration.ZERO : resetIn));
    }
    return out;
  }
}
