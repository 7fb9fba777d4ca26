package dev.tollgate.config;

/**
 * How request bodies are admitted.
 *
 * @param partialBody what happens to a body Envoy cut at its {@code max_request_bytes} (header
 *     {@code x-envoy-auth-partial-body: true})
 */
public record RequestConfig(PartialBody partialBody) {
  /** The default: partial bodies refused. */
  public static final RequestConfig DEFAULTS = new RequestConfig(PartialBody.DENY);

  /** Policy for bodies that arrive cut short. */
  public enum PartialBody {
    /**
     * Refuse with 413 {@code request_too_large}: what was not seen (a second {@code model}, more
     * messages) cannot be checked against the allowlist or counted.
     */
    DENY,
    /**
     * Count what arrived and check the {@code model} seen. The rest reaches the upstream unchecked:
     * a duplicate {@code model} after the cut (which the upstream may read instead) bypasses the
     * allowlist, and tokens after the cut are reserved only at settlement.
     */
    ALLOW
  }

  public RequestConfig {
    java.util.Objects.requireNonNull(partialBody, "partialBody");
  }

  /** The default: partial bodies refused. */
  public static RequestConfig defaults() {
    return DEFAULTS;
  }
}
