package dev.tollgate.quota;

import java.time.Duration;
import java.util.List;

/**
 * The result of {@link QuotaService#reserve} over all of a request's targets: reserved on every
 * target, or over quota on one. Combines one {@link KeyReserveResult} per target.
 */
public sealed interface ReserveResult {

  /** A target and its windows as the reservation saw them. */
  record TargetStatus(QuotaTarget target, List<WindowStatus> windows) {
    public TargetStatus {
      windows = List.copyOf(windows);
    }
  }

  /**
   * Reserved on every target.
   *
   * @param reservation what to settle later
   * @param statuses every target's windows after the reservation
   */
  record Reserved(Reservation reservation, List<TargetStatus> statuses) implements ReserveResult {
    public Reserved {
      statuses = List.copyOf(statuses);
    }
  }

  /**
   * One target refused; reservations already made on the others were released.
   *
   * @param target the refusing target
   * @param binding the refusing window
   * @param retryAfter how long until the request would fit
   * @param neverFits the request is larger than the whole limit
   */
  record OverQuota(QuotaTarget target, WindowStatus binding, Duration retryAfter, boolean neverFits)
      implements ReserveResult {}
}
