package dev.tollgate.auth;

/** An identity value that cannot be used (too long, control characters): answered with 400. */
public final class InvalidIdentityException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String source;

  /**
   * @param source the identity source ({@code header:x-on-behalf-of}), safe to print
   * @param message a message for the client (never contains the value)
   */
  public InvalidIdentityException(String source, String message) {
    super(message, null, false, false);
    this.source = source;
  }

  /** The identity source that gave the bad value. */
  public String source() {
    return source;
  }
}
