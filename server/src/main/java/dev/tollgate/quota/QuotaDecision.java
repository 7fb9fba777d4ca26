package dev.tollgate.quota;

import java.time.Duration;
import java.util.List;

/** The answer of {@link QuotaService#reserve}: reserved on every target, or over quota on one. */
public sealed interface QuotaDecision {

  /** A target and its windows as the decision saw them. */
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
  record Reserved(Reservation reservation, List<TargetStatus> statuses) implements QuotaDecision {
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
      implements QuotaDecision {}
}
