package dev.tollgate.quota;

import java.util.List;

/**
 * How large a slice a member takes of one key: enough for about {@link #DEMAND_FACTOR} times the
 * requests the member saw for the key in the previous granule, but never more, for any enforced
 * limit, than {@code remaining / (}{@link #HEADROOM_SHARE}{@code × members)}; and no slice at all
 * (exact reservations) when that leaves room for fewer than {@link #MIN_REQUESTS} requests. So a
 * key far from its limits gets large slices and a key near one gets exact per-request reservations.
 */
final class LeaseSizing {
  /** A slice covers this many times the previous granule's requests. */
  static final int DEMAND_FACTOR = 2;

  /** A member's slice holds at most 1/(this × members) of what any limit has left. */
  static final int HEADROOM_SHARE = 8;

  /** A slice too small for this many average requests is not taken. */
  static final int MIN_REQUESTS = 4;

  /** No slice covers more requests than this. */
  static final long MAX_REQUESTS = 100_000;

  private LeaseSizing() {}

  /**
   * The slice to take for a request of {@code charge}, or null to reserve exactly.
   *
   * @param limits the key's limits (all enforced)
   * @param windows the key's windows as last seen, in the order of {@code limits}, or null
   * @param demand what this member was asked for the key in the previous granule
   * @param members how many members may hold slices of the key
   */
  static Charge slice(
      List<Limit> limits, List<WindowStatus> windows, Demand demand, Charge charge, int members) {
    if (windows == null || windows.size() != limits.size() || demand.count <= 0) {
      return null;
    }
    long n = Math.min(MAX_REQUESTS, DEMAND_FACTOR * demand.count);
    long avgTokens = ceilDiv(demand.tokens, demand.count);
    long avgUsd = ceilDiv(demand.nanoUsd, demand.count);
    long avgRequests = ceilDiv(demand.requests, demand.count);
    long share = (long) HEADROOM_SHARE * Math.max(1, members);
    for (int i = 0; i < limits.size(); i++) {
      Limit l = limits.get(i);
      if (!windows.get(i).limit().equals(l)) {
        return null;
      }
      long cap = windows.get(i).remaining() / share;
      long avg =
          switch (l.unit()) {
            case TOKENS -> avgTokens;
            case NANO_USD -> avgUsd;
            case REQUESTS -> avgRequests;
          };
      if (l.amountOf(charge) > cap) {
        return null;
      }
      if (avg > 0) {
        n = Math.min(n, cap / avg);
      }
    }
    if (n < MIN_REQUESTS) {
      return null;
    }
    Charge slice =
        new Charge(
            Math.max(charge.tokens(), times(avgTokens, n)),
            Math.max(charge.nanoUsd(), times(avgUsd, n)),
            Math.max(charge.requests(), times(avgRequests, n)));
    for (int i = 0; i < limits.size(); i++) {
      Limit l = limits.get(i);
      if (l.amountOf(slice) > windows.get(i).remaining() / share) {
        return null;
      }
    }
    return slice;
  }

  private static long ceilDiv(long a, long b) {
    return -Math.floorDiv(-a, b);
  }

  private static long times(long a, long b) {
    long r = a * b;
    return Math.multiplyHigh(a, b) != 0 || r < 0 ? Long.MAX_VALUE : r;
  }

  /** What one member was asked for one key, per granule: the current one and the one before. */
  static final class Demand {
    long count;
    long tokens;
    long nanoUsd;
    long requests;
    private long granule = Long.MIN_VALUE;
    private final long[] current = new long[4];

    /** Counts a request of {@code charge} made in {@code granule}; the previous stays readable. */
    void observe(long granule, Charge charge) {
      if (granule > this.granule) {
        if (granule == this.granule + 1) {
          count = current[0];
          tokens = current[1];
          nanoUsd = current[2];
          requests = current[3];
        } else {
          count = 0;
          tokens = 0;
          nanoUsd = 0;
          requests = 0;
        }
        java.util.Arrays.fill(current, 0);
        this.granule = granule;
      }
      current[0]++;
      current[1] = UsageRecord.addSaturated(current[1], charge.tokens());
      current[2] = UsageRecord.addSaturated(current[2], charge.nanoUsd());
      current[3] = UsageRecord.addSaturated(current[3], charge.requests());
    }
  }
}
