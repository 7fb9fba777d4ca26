package dev.tollgate.auth;

/** A signed on-behalf-of assertion that is malformed, forged, expired or replayed: 401. */
public final class InvalidAssertionException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public InvalidAssertionException(String message) {
    super(message, null, false, false);
  }
}
