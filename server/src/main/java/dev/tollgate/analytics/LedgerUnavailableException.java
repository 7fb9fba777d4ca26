package dev.tollgate.analytics;

/** The ledger's store did not answer. */
public final class LedgerUnavailableException extends RuntimeException {
  public LedgerUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
