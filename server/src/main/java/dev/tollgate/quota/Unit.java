package dev.tollgate.quota;

/** What a limit counts. */
public enum Unit {
  /** Tokens (prompt + completion). */
  TOKENS,
  /** Money, in nano-US-dollars (1 USD = 1_000_000_000). */
  NANO_USD
}
