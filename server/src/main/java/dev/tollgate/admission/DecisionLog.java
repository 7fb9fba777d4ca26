package dev.tollgate.admission;

import org.slf4j.Logger;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * The one debug line per decision: {@code admission.decision} with the reason code, the status
 * Envoy answers, and what the decision was about as separate fields ({@code reason}, {@code
 * status}, {@code path}, {@code api}, {@code key}, {@code tier}, {@code model}, {@code user},
 * {@code prompt_tokens}, {@code reserved_tokens}, {@code reserved_usd}, {@code binding_scope},
 * {@code binding_window}, {@code store}, {@code micros}).
 *
 * <p>Never a secret nor what the user wrote: the service key by its configured name, no bearer
 * value, no upstream key, no body, no query string. The end user's id is logged as resolved (the id
 * the admin API and overrides use): debug is meant for finding why one user was refused.
 */
final class DecisionLog {
  private DecisionLog() {}

  /** Logs {@code decision} at debug on {@code log}, when debug is on. */
  static void debug(Logger log, AdmissionRequest request, Verdict decision, long nanos) {
    if (!log.isDebugEnabled()) {
      return;
    }
    AuthzMetadata md;
    int status;
    if (decision instanceof Verdict.Allow a) {
      md = a.metadata();
      status = 200;
    } else {
      Verdict.Deny d = (Verdict.Deny) decision;
      md = d.metadata();
      status = d.error().status();
    }
    LoggingEventBuilder e =
        log.atDebug()
            .addKeyValue("reason", decision.reason().code())
            .addKeyValue("status", status)
            .addKeyValue("path", Admission.safePath(request.path()));
    add(e, "api", md.api());
    add(e, "key", md.key());
    add(e, "tier", md.tier());
    add(e, "model", md.model());
    add(e, "user", md.user());
    add(e, "prompt_tokens", md.promptTokens());
    add(e, "reserved_tokens", md.reservedTokens());
    add(e, "reserved_usd", md.reservedUsd());
    add(e, "binding_scope", md.bindingScope());
    add(e, "binding_window", md.bindingWindow());
    add(e, "store", md.store());
    e.addKeyValue("micros", nanos / 1000).log("admission.decision");
  }

  private static void add(LoggingEventBuilder e, String key, Object value) {
    if (value != null) {
      e.addKeyValue(key, value);
    }
  }
}
