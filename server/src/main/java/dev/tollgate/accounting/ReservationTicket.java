package dev.tollgate.accounting;

import dev.tollgate.quota.Reservation;
import java.util.Objects;

/**
 * What ext_authz hands to ext_proc about one allowed request: who and what it was for, and the
 * reservation to settle. It reaches ext_proc only through Envoy, {@link TicketSeal sealed}.
 *
 * @param user the end user
 * @param conversation the conversation, or null
 * @param key the service key's name
 * @param tier the tier
 * @param model the requested model
 * @param api the API's metadata name ({@code chat_completions}, ...)
 * @param promptTokens prompt tokens counted at admission
 * @param reservation what was reserved, on which quota keys
 */
public record ReservationTicket(
    String user,
    String conversation,
    String key,
    String tier,
    String model,
    String api,
    long promptTokens,
    Reservation reservation) {
  public ReservationTicket {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(tier, "tier");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(api, "api");
    Objects.requireNonNull(reservation, "reservation");
    if (promptTokens < 0) {
      throw new IllegalArgumentException("promptTokens: " + promptTokens + " (expected: >= 0)");
    }
  }
}
