package dev.tollgate.alerts;

import dev.tollgate.config.AlertEvent;
import dev.tollgate.quota.Scope;
import dev.tollgate.quota.Unit;

/** One alert to deliver: a threshold crossed or an event. */
public sealed interface Alert {
  /**
   * What makes it the same alert: sent once per key until {@link #expiresAtMillis}, on every
   * replica ({@link #clusterWide}) or on this one.
   */
  String dedupeKey();

  /** When its deduplication ends. */
  long expiresAtMillis();

  /** Whether it is sent once for the cluster (true) or once per replica. */
  boolean clusterWide();

  /** When it was seen. */
  long atMillis();

  /**
   * A quota key has used {@code threshold} of one of its limits in the current period.
   *
   * @param scope the key's scope
   * @param id the user, conversation or service key ({@code ""} for global)
   * @param tier the tier of the request that crossed
   * @param window the limit's window ({@code 1d}, {@code month})
   * @param unit what the limit counts
   * @param used what the window had counted when the crossing was seen
   * @param limit the limit's maximum
   * @param threshold the fraction crossed
   * @param periodStartMillis the start of the period the alert is sent once for
   * @param periodEndMillis its end
   * @param refused whether the crossing was a refusal (the window could not take the request)
   */
  record Threshold(
      Scope scope,
      String id,
      String tier,
      String window,
      Unit unit,
      long used,
      long limit,
      double threshold,
      long periodStartMillis,
      long periodEndMillis,
      boolean refused,
      long atMillis)
      implements Alert {
    @Override
    public String dedupeKey() {
      return "t|"
          + scope.configName()
          + "|"
          + id
          + "|"
          + window
          + "|"
          + (unit == Unit.TOKENS ? "tokens" : "usd")
          + "|"
          + limit
          + "|"
          + threshold
          + "|"
          + periodStartMillis;
    }

    @Override
    public long expiresAtMillis() {
      return periodEndMillis;
    }

    @Override
    public boolean clusterWide() {
      return true;
    }
  }

  /**
   * An operational event on this replica.
   *
   * @param event the event
   * @param detail what happened, without secrets
   * @param periodStartMillis the start of the minute it is sent once for
   */
  record Event(AlertEvent event, String detail, long periodStartMillis, long atMillis)
      implements Alert {
    /** An event is sent at most once per minute and replica. */
    public static final long PERIOD_MILLIS = 60_000;

    @Override
    public String dedupeKey() {
      return "e|" + event.configName() + "|" + periodStartMillis;
    }

    @Override
    public long expiresAtMillis() {
      return periodStartMillis + PERIOD_MILLIS;
    }

    @Override
    public boolean clusterWide() {
      return false;
    }
  }
}
