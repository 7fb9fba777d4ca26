package dev.tollgate.ledger;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One day's usage of one {@link LedgerKey}, or a change to it: counters only, so that aggregates
 * merge by adding ({@link #plus}), in any order and grouping. Sums saturate at {@link
 * Long#MAX_VALUE}.
 *
 * @param requests requests closed (settled, kept as reserved or refunded)
 * @param refundedRequests of those, the ones given back (the upstream failed)
 * @param inputTokens input tokens charged, cached ones included
 * @param cachedInputTokens of those, the cached ones
 * @param outputTokens output tokens charged
 * @param nanoUsd money charged, in nano-USD
 * @param refusals quota refusals (429s) by {@code scope:window} ({@code user:daily}, ...)
 */
public record DailyUsage(
    long requests,
    long refundedRequests,
    long inputTokens,
    long cachedInputTokens,
    long outputTokens,
    long nanoUsd,
    Map<String, Long> refusals) {
  /** Nothing. */
  public static final DailyUsage ZERO = new DailyUsage(0, 0, 0, 0, 0, 0, Map.of());

  public DailyUsage {
    Objects.requireNonNull(refusals, "refusals");
    refusals = Map.copyOf(refusals);
    for (long v :
        new long[] {
          requests, refundedRequests, inputTokens, cachedInputTokens, outputTokens, nanoUsd
        }) {
      if (v < 0) {
        throw new IllegalArgumentException("counters must be >= 0: " + v);
      }
    }
  }

  /** One request charged {@code nanoUsd} for these tokens. */
  public static DailyUsage settled(long input, long cached, long output, long nanoUsd) {
    return new DailyUsage(
        1,
        0,
        Math.max(0, input),
        Math.max(0, cached),
        Math.max(0, output),
        Math.max(0, nanoUsd),
        Map.of());
  }

  /** One request given back: counted, charged nothing. */
  public static DailyUsage refunded() {
    return new DailyUsage(1, 1, 0, 0, 0, 0, Map.of());
  }

  /** One refusal by the quota of {@code scope} on {@code window}. */
  public static DailyUsage refused(String scope, String window) {
    return new DailyUsage(0, 0, 0, 0, 0, 0, Map.of(refusalKey(scope, window), 1L));
  }

  /** The key of {@link #refusals}: {@code scope:window}. */
  public static String refusalKey(String scope, String window) {
    return scope + ":" + window;
  }

  /** The sum of both (pure). */
  public DailyUsage plus(DailyUsage o) {
    Map<String, Long> r;
    if (o.refusals.isEmpty()) {
      r = refusals;
    } else if (refusals.isEmpty()) {
      r = o.refusals;
    } else {
      Map<String, Long> m = new TreeMap<>(refusals);
      o.refusals.forEach((k, v) -> m.merge(k, v, DailyUsage::add));
      r = m;
    }
    return new DailyUsage(
        add(requests, o.requests),
        add(refundedRequests, o.refundedRequests),
        add(inputTokens, o.inputTokens),
        add(cachedInputTokens, o.cachedInputTokens),
        add(outputTokens, o.outputTokens),
        add(nanoUsd, o.nanoUsd),
        r);
  }

  /** The total of {@link #refusals}. */
  public long refusalCount() {
    long n = 0;
    for (long v : refusals.values()) {
      n = add(n, v);
    }
    return n;
  }

  private static long add(long a, long b) {
    long s = a + b;
    return s < 0 ? Long.MAX_VALUE : s;
  }
}
