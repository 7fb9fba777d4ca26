package dev.tollgate.admission;

/**
 * Why admission decided as it did. {@link #code()} is the one spelling that is logged, exported as
 * the {@code reason} label of {@code tollgate_decisions_total}, written as {@code decision} in
 * Envoy's dynamic metadata (access logs) and sent as the gRPC status message of a denied Check.
 */
public enum Reason {
  ALLOW("allow"),
  ALLOW_UNKNOWN_PATH("allow.unknown_path"),
  ALLOW_STORE_UNAVAILABLE("allow.store_unavailable"),
  AUTH_INVALID_KEY("auth.invalid_key"),
  AUTH_ADMIN_KEY("auth.admin_key"),
  AUTH_INVALID_ASSERTION("auth.invalid_assertion"),
  ROUTE_UNKNOWN_PATH("route.unknown_path"),
  ROUTE_INVALID_PATH("route.invalid_path"),
  REQUEST_METHOD("request.method"),
  REQUEST_INVALID("request.invalid"),
  REQUEST_PARTIAL_BODY("request.partial_body"),
  REQUEST_LARGE_BUSY("request.large_busy"),
  IDENTITY_INVALID("identity.invalid"),
  MODEL_NOT_ALLOWED("model.not_allowed"),
  QUOTA_EXCEEDED("quota.exceeded"),
  QUOTA_NEVER_FITS("quota.never_fits"),
  STORE_UNAVAILABLE("store.unavailable"),
  INTERNAL_ERROR("internal.error");

  private final String code;

  Reason(String code) {
    this.code = code;
  }

  /** The reason code as logged and exported ({@code quota.exceeded}, ...). */
  public String code() {
    return code;
  }

  /** The reason with this code, or null if there is none. */
  public static Reason fromCode(String code) {
    for (Reason r : values()) {
      if (r.code.equals(code)) {
        return r;
      }
    }
    return null;
  }

  @Override
  public String toString() {
    return code;
  }
}
