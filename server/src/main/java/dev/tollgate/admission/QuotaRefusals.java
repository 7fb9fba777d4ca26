package dev.tollgate.admission;

import dev.tollgate.quota.Charge;
import dev.tollgate.quota.Money;
import dev.tollgate.quota.ReserveResult;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.WindowStatus;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** Refusals for requests over quota: {@code quota.exceeded} and {@code quota.never_fits}. */
final class QuotaRefusals {
  private QuotaRefusals() {}

  /**
   * The 429 for a request over quota, worded as OpenAI words it: the binding window's limit, what
   * was used and requested, when to retry (or that it can never fit), with OpenAI's headers.
   *
   * @param over the store's refusal
   * @param model the requested model, or null (a route that counts requests only)
   * @param charge what the request would have reserved
   * @param md the metadata collected so far; the decision and the binding window are added
   */
  static Verdict.Deny refuse(
      ReserveResult.OverQuota over, String model, Charge charge, AuthzMetadata.Builder md) {
    WindowStatus b = over.binding();
    boolean usd = b.limit().unit() == Unit.NANO_USD;
    String who =
        switch (over.target().scope()) {
          case USER -> "this user";
          case CONVERSATION -> "this conversation";
          case KEY -> "this service key";
          case GLOBAL -> "the organisation (all users)";
        };
    String what =
        switch (b.limit().unit()) {
          case NANO_USD -> "budget (USD) per " + b.limit().window();
          case TOKENS -> "tokens per " + b.limit().window();
          case REQUESTS -> "requests per " + b.limit().window();
        };
    String forModel = model == null ? "" : " for " + model;
    Duration wait = over.retryAfter();
    String limitText = usd ? Money.format(b.limit().max()) : Long.toString(b.limit().max());
    String usedText = usd ? Money.format(b.used()) : Long.toString(b.used());
    long amount = b.limit().amountOf(charge);
    String requestedText = usd ? Money.format(amount) : Long.toString(amount);
    String message;
    if (over.neverFits()) {
      message =
          "Request too large"
              + forModel
              + " on "
              + what
              + " for "
              + who
              + ": Limit "
              + limitText
              + ", Requested "
              + requestedText
              + ". This request can never fit: the input or output tokens must be reduced in order to run successfully.";
    } else {
      message =
          "Rate limit reached"
              + forModel
              + " on "
              + what
              + " for "
              + who
              + ": Limit "
              + limitText
              + ", Used "
              + usedText
              + ", Requested "
              + requestedText
              + ". Please try again in "
              + GoDurations.format(wait)
              + ".";
    }
    Map<String, String> h = new LinkedHashMap<>();
    long retrySeconds = Math.max(1, (wait.toMillis() + 999) / 1000);
    h.put("retry-after", Long.toString(retrySeconds));
    h.put("retry-after-ms", Long.toString(Math.max(1, wait.toMillis())));
    h.putAll(RateLimitHeaders.of(b).headers());
    if (over.neverFits() || wait.compareTo(Duration.ofSeconds(60)) > 0) {
      h.put("x-should-retry", "false");
    }
    Reason reason = over.neverFits() ? Reason.QUOTA_NEVER_FITS : Reason.QUOTA_EXCEEDED;
    md.decision(reason)
        .bindingScope(over.target().scope().configName())
        .bindingWindow(b.limit().window().name());
    OpenAiError err =
        switch (b.limit().unit()) {
          case NANO_USD ->
              new OpenAiError(429, message, "insufficient_quota", null, "insufficient_quota");
          case TOKENS -> new OpenAiError(429, message, "tokens", null, "rate_limit_exceeded");
          case REQUESTS -> new OpenAiError(429, message, "requests", null, "rate_limit_exceeded");
        };
    return new Verdict.Deny(reason, err, h, md.build());
  }
}
