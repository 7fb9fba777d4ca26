package dev.tollgate.admission;

import java.util.List;
import java.util.Map;

/** The result of admission: allow (with what to change) or deny (with the client's error). */
public sealed interface Decision {

  /** Why: its {@link Reason#code() code} is what is logged and exported. */
  Reason reason();

  /**
   * Let the request through.
   *
   * @param reason reason code
   * @param upstreamApiKey the key to send upstream as {@code authorization: Bearer ...}, or
   *     null to only strip the client's
   * @param headersToRemove request headers to remove (lower-case)
   * @param metadata what Envoy's dynamic metadata receives
   * @param reservationId the reservation held for this request, or null: released if the answer
   *     never reaches Envoy
   */
  record Allow(Reason reason, String upstreamApiKey, List<String> headersToRemove, AuthzMetadata metadata,
      String reservationId) implements Decision {
    public Allow {
      java.util.Objects.requireNonNull(reason, "reason");
      headersToRemove = List.copyOf(headersToRemove);
      java.util.Objects.requireNonNull(metadata, "metadata");
    }

    @Override
    public String toString() {
      return "Allow[reason=" + reason + ", upstreamApiKey=" + (upstreamApiKey == null ? "none" : "****")
          + ", headersToRemove=" + headersToRemove + ", metadata=" + metadata + ", reservationId=" + reservationId + "]";
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
      implements Decision {
    public Deny {
      java.util.Objects.requireNonNull(reason, "reason");
      headers = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(headers));
      java.util.Objects.requireNonNull(metadata, "metadata");
    }
  }
}
