package dev.tollgate.admission;

import java.math.BigDecimal;
import java.time.Duration;

/**
 * Formats durations as Go does ({@code 6m0s}, {@code 1.5s}, {@code 644ms}), as OpenAI's headers
 * use.
 */
public final class GoDurations {
  private GoDurations() {}

  /** Go's {@code time.Duration.String()} at millisecond precision. */
  public static String format(Duration d) {
    long ms = Math.max(0, d.toMillis());
    if (ms == 0) {
      return "0s";
    }
    if (ms < 1000) {
      return ms + "ms";
    }
    long h = ms / 3_600_000;
    long m = (ms / 60_000) % 60;
    long secMs = ms % 60_000;
    String sec = BigDecimal.valueOf(secMs, 3).stripTrailingZeros().toPlainString() + "s";
    if (h > 0) {
      return h + "h" + m + "m" + sec;
    }
    if (m > 0) {
      return m + "m" + sec;
    }
    return sec;
  }
}
