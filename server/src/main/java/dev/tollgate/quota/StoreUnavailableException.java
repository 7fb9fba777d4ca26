package dev.tollgate.quota;

/** The quota store did not answer in time or failed: the configured failure policy applies. */
public final class StoreUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
