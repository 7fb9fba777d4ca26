package dev.tollgate.response;

import java.util.Locale;

/** What can go wrong while following a response to its usage; counted and exported by name. */
public enum ResponseEvent {
  /** The provider's usage had a wrong type, a negative or a fractional number: not used. */
  USAGE_REFUSED,
  /** A usage count past 10^9 tokens, or a part larger than its whole: clamped. */
  USAGE_CLAMPED,
  /** An SSE line longer than its cap, dropped. */
  SSE_LINE_DROPPED,
  /** An SSE event whose data outgrew its cap (no blank line came), dropped. */
  SSE_EVENT_DROPPED,
  /** The shared buffer budget refused a stream more memory: its response is no longer read. */
  BUFFER_BUDGET_EXHAUSTED;

  /** The exported name: {@code usage_refused}, ... */
  public String metricName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
