package dev.tollgate.quota;

/** What a limit counts. */
public enum Unit {
  /** Tokens (prompt + completion). */
  TOKENS,
  /** Money, in nano-US-dollars (1 USD = 1_000_000_000). */
  NANO_USD,
  /**
   * Requests: one per admitted request, reserved at admission and never changed by settlement (a
   * request that reached the upstream counts, whatever its outcome).
   */
  REQUESTS;

  /** The name used in configuration, the admin API and metrics: tokens, usd or requests. */
  public String configName() {
    return switch (this) {
      case TOKENS -> "tokens";
      case NANO_USD -> "usd";
      case REQUESTS -> "requests";
    };
  }
}
