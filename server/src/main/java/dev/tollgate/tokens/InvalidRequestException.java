package dev.tollgate.tokens;

/**
 * The request body is not a valid request for its API: answered with 400 {@code
 * invalid_request_error}, {@code param} naming the field.
 */
public final class InvalidRequestException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String param;

  /**
   * @param param the offending field ({@code messages[2].content}, {@code model}), or null
   * @param message a message for the client
   */
  public InvalidRequestException(String param, String message) {
    super(message, null, false, false);
    this.param = param;
  }

  /** The offending field, or null. */
  public String param() {
    return param;
  }
}
