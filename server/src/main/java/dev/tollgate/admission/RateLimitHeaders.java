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
 * binding window) and for an allowed response (the tightest token window, carried to ext_proc in
 * {@link AuthzMetadata}).
 *
 * @param usd whether the window is a USD budget (values in nano-USD) rather than tokens
 * @param limit the window's maximum
 * @param remaining what is left in it
 * @param reset when it resets, as OpenAI writes it ({@code 6m0s}), or null if unknown
 */
public record RateLimitHeaders(boolean usd, long limit, long remaining, String reset) {

  /** The headers for one window, tokens or USD by its limit's unit. */
  public static RateLimitHeaders of(WindowStatus w) {
    Objects.requireNonNull(w, "w");
    return new RateLimitHeaders(
        w.limit().unit() == Unit.NANO_USD,
        w.limit().max(),
        w.remaining(),
        GoDurations.format(w.resetIn()));
  }

  /** The headers, in order (lower-case names). */
  public Map<String, String> headers() {
    Map<String, String> h = new LinkedHashMap<>();
    if (usd) {
      h.put("x-ratelimit-limit-usd", Money.toUsd(limit).toPlainString());
      h.put("x-ratelimit-remaining-usd", Money.toUsd(remaining).toPlainString());
    } else {
      h.put("x-ratelimit-limit-tokens", Long.toString(limit));
      h.put("x-ratelimit-remaining-tokens", Long.toString(remaining));
    }
    if (reset != null) {
      h.put(usd ? "x-ratelimit-reset-usd" : "x-ratelimit-reset-tokens", reset);
    }
    return h;
  }
}
