package dev.tollgate.accounting;

import java.util.Objects;
import java.util.Optional;

/**
 * One allowed request's reservation, from its ticket to its settlement: closed at most once,
 * whatever the order of end-of-stream, trailers, resets and completion the adapter sees. Not
 * thread-safe (one ext_proc stream's messages arrive serially).
 */
public final class Account {
  private final Accounting accounting;
  private final ReservationTicket ticket;
  private boolean closed;

  Account(Accounting accounting, ReservationTicket ticket) {
    this.accounting = accounting;
    this.ticket = Objects.requireNonNull(ticket, "ticket");
  }

  /** The ticket this account settles. */
  public ReservationTicket ticket() {
    return ticket;
  }

  /** Whether it was closed already. */
  public boolean isClosed() {
    return closed;
  }

  /**
   * Settles (or releases) the reservation by {@link Accounting}'s policy, the first time only.
   *
   * @return how it was closed, or empty if it was closed already
   */
  public Optional<Accounting.Closed> close(Accounting.Answer answer) {
    if (closed) {
      return Optional.empty();
    }
    closed = true;
    return Optional.of(accounting.close(ticket, answer));
  }
}
