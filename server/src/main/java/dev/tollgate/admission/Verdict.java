package dev.tollgate.admission;

import java.util.List;
import java.util.Map;

/**
 * What admission tells Envoy about one request: allow (with what to change) or deny (with the
 * client's error). Built from the quota service's {@link dev.tollgate.quota.ReserveResult}, which
 * is in turn built from one {@link dev.tollgate.quota.KeyReserveResult} per quota key.
 */
public sealed interface Verdict {

  /** Why: its {@link Reason#code() code} is what is logged and exported. */
  Reason reason();

  /**
   * Let the request through.
   *
   * @param reason reason code
   * @param upstreamApiKey the key to send upstream as {@code authorization: Bearer ...}, or null to
   *     only strip the client's
   * @param headersToRemove request headers to remove (lower-case)
   * @param metadata what Envoy's dynamic metadata receives
   * @param reservationId the reservation held for this request, or null: released if the answer
   *     never reaches Envoy
   * @param responseHeaders headers Envoy adds to the response (lower-case names, in order): the
   *     rate-limit headers of a route no ext_proc stream accounts for
   */
  record Allow(
      Reason reason,
      String upstreamApiKey,
      List<String> headersToRemove,
      AuthzMetadata metadata,
      String reservationId,
      Map<String, String> responseHeaders)
      implements Verdict {
    public Allow {
      java.util.Objects.requireNonNull(reason, "reason");
      headersToRemove = List.copyOf(headersToRemove);
      java.util.Objects.requireNonNull(metadata, "metadata");
      responseHeaders =
          java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(responseHeaders));
    }

    /** Without response headers. */
    public Allow(
        Reason reason,
        String upstreamApiKey,
        List<String> headersToRemove,
        AuthzMetadata metadata,
        String reservationId) {
      this(reason, upstreamApiKey, headersToRemove, metadata, reservationId, Map.of());
    }

    @Override
    public String toString() {
      return "Allow[reason="
          + reason
          + ", upstreamApiKey="
          + (upstreamApiKey == null ? "none" : "****")
          + ", headersToRemove="
          + headersToRemove
          + ", metadata="
          + metadata
          + ", reservationId="
          + reservationId
          + ", responseHeaders="
          + responseHeaders
          + "]";
    }
  }

  /**
   * Refuse the request with an OpenAI-style error.
   *
   * @param reason reason code
   * @param error status and body
   * @param headers response headers, in order (lower-case names)
   * @param metadata what Envoy's dynamic metadata receives
   */
  record Deny(Reason reason, OpenAiError error, Map<String, String> headers, AuthzMetadata metadata)
      implements Verdict {
    public Deny {
      java.util.Objects.requireNonNull(reason, "reason");
      headers = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(headers));
      java.util.Objects.requireNonNull(metadata, "metadata");
    }
  }
}
