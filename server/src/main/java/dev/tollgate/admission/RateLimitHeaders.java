package dev.tollgate.admission;

import dev.tollgate.quota.Money;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.WindowStatus;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * OpenAI's {@code x-ratelimit-limit-*}, {@code x-ratelimit-remaining-*} and {@code
 * x-ratelimit-reset-*} headers for one window: the one place they are spelled, for a refusal (the
 * binding window) and for an allowed response (the tightest token window and the tightest request
 * window, carried in {@link AuthzMetadata}).
 *
 * @param unit the window's unit: {@code -tokens}, {@code -requests} or {@code -usd} headers (USD
 *     values in nano-USD here, written in dollars)
 * @param limit the window's maximum
 * @param remaining what is left in it
 * @param reset when it resets, as OpenAI writes it ({@code 6m0s}), or null if unknown
 */
public record RateLimitHeaders(Unit unit, long limit, long remaining, String reset) {

  public RateLimitHeaders {
    Objects.requireNonNull(unit, "unit");
  }

  /** The headers for one window, by its limit's unit. */
  public static RateLimitHeaders of(WindowStatus w) {
    Objects.requireNonNull(w, "w");
    return new RateLimitHeaders(
        w.limit().unit(), w.limit().max(), w.remaining(), GoDurations.format(w.resetIn()));
  }

  /** Whether the window is a USD budget. */
  public boolean usd() {
    return unit == Unit.NANO_USD;
  }

  /** The headers, in order (lower-case names). */
  public Map<String, String> headers() {
    Map<String, String> h = new LinkedHashMap<>();
    String suffix = unit.configName();
    if (usd()) {
      h.put("x-ratelimit-limit-usd", Money.toUsd(limit).toPlainString());
      h.put("x-ratelimit-remaining-usd", Money.toUsd(remaining).toPlainString());
    } else {
      h.put("x-ratelimit-limit-" + suffix, Long.toString(limit));
      h.put("x-ratelimit-remaining-" + suffix, Long.toString(remaining));
    }
    if (reset != null) {
      h.put("x-ratelimit-reset-" + suffix, reset);
    }
    return h;
  }
}
