package dev.tollgate.accounting;

/**
 * A ticket that is malformed or whose seal does not verify. The message never echoes the ticket.
 */
public final class InvalidTicketException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public InvalidTicketException(String message) {
    super(message, null, false, false);
  }
}
