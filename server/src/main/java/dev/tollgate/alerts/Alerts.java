package dev.tollgate.alerts;

import dev.tollgate.config.AlertEvent;
import dev.tollgate.config.AlertsConfig;
import dev.tollgate.quota.QuotaTarget;
import dev.tollgate.quota.ReserveResult;
import dev.tollgate.quota.Scope;
import dev.tollgate.quota.WindowStatus;
import java.time.Clock;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Turns what the Check path sees into alerts: a reservation whose windows reach a threshold of
 * {@code alerts.rules}, a refusal (the threshold 1.0), an event. Seeing costs a comparison per
 * window and allocates nothing unless a threshold is reached; each alert is then sent once per
 * quota key, limit, threshold and period (see {@link AlertPeriod}) across the cluster, by {@link
 * AlertDelivery}, off the Check path. The rules can be replaced while running ({@link #update}).
 */
public final class Alerts implements AutoCloseable {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Alerts.class);

  /** No alerts: sees nothing, sends nothing. */
  public static final Alerts NONE = new Alerts();

  /** What {@code fraction >= threshold} tolerates of floating-point error. */
  private static final double EPSILON = 1e-9;

  /** The rules in force, ready for the Check path. */
  private static final class Rules {
    final double[][] at = new double[Scope.values().length][];
    final boolean anyThreshold;
    final Set<AlertEvent> events;
    final AlertsConfig config;

    Rules(AlertsConfig c) {
      this.config = c;
      boolean any = false;
      if (!c.webhooks().isEmpty()) {
        for (AlertsConfig.ThresholdRule r : c.thresholds()) {
          at[r.scope().ordinal()] = r.at().stream().mapToDouble(Double::doubleValue).toArray();
          any = true;
        }
      }
      this.anyThreshold = any;
      this.events =
          c.webhooks().isEmpty() || c.events().isEmpty()
              ? Set.of()
              : Set.copyOf(EnumSet.copyOf(c.events()));
    }
  }

  private volatile Rules rules;
  private final boolean updatable;
  private final LocalSentAlerts seen = new LocalSentAlerts();
  private final SentAlerts cluster;
  private final AlertBodies bodies;
  private final AlertStats stats = new AlertStats();
  private final Clock clock;
  private volatile AlertDelivery delivery;
  private boolean closed;

  private Alerts() {
    this.rules = new Rules(AlertsConfig.NONE);
    this.updatable = false;
    this.cluster = null;
    this.bodies = null;
    this.clock = Clock.systemUTC();
  }

  private Alerts(AlertsConfig config, SentAlerts cluster, AlertBodies bodies, Clock clock) {
    this.rules = new Rules(config);
    stats.expect(config);
    this.updatable = true;
    this.cluster = java.util.Objects.requireNonNull(cluster, "cluster");
    this.bodies = java.util.Objects.requireNonNull(bodies, "bodies");
    this.clock = java.util.Objects.requireNonNull(clock, "clock");
  }

  /** The delivery, started with the first alert (a replica without alerts runs no thread). */
  private AlertDelivery delivery(AlertsConfig config) {
    AlertDelivery d = delivery;
    if (d == null) {
      synchronized (this) {
        d = delivery;
        if (d == null && !closed) {
          d = new AlertDelivery(config.delivery().queueSize(), cluster, bodies, stats, clock);
          delivery = d;
        }
      }
    }
    return d;
  }

  private void offer(Rules r, Alert alert) {
    AlertDelivery d = delivery(r.config);
    if (d != null) {
      d.offer(alert, r.config.webhooks(), r.config.delivery());
    }
  }

  /**
   * Alerts by {@code config}; the delivery (one thread, idle while there is nothing to send) starts
   * with the first alert.
   *
   * @param config the rules and webhooks
   * @param cluster where alerts are claimed cluster-wide (a {@link LocalSentAlerts} for a single
   *     replica)
   * @param bodies writes the bodies (names the replica and the cluster)
   * @param clock the time alerts and their periods are read from
   */
  public static Alerts start(
      AlertsConfig config, SentAlerts cluster, AlertBodies bodies, Clock clock) {
    return new Alerts(config, cluster, bodies, clock);
  }

  /**
   * Replaces the rules and webhooks (a reloaded configuration); the delivery queue keeps the size
   * it started with. Alerts already sent in the current periods are not sent again.
   */
  public void update(AlertsConfig config) {
    if (!updatable) {
      throw new IllegalStateException("Alerts.NONE cannot be updated; use Alerts.start");
    }
    stats.expect(config);
    this.rules = new Rules(config);
  }

  /** The configuration in force. */
  public AlertsConfig config() {
    return rules.config;
  }

  /**
   * Sees the result of a reservation made for a request of {@code tier}: every granted window that
   * reached a threshold of its scope, and the window that refused (threshold 1.0, unless the
   * request is larger than the whole limit). Cheap; never throws.
   */
  public void observe(String tier, ReserveResult result) {
    Rules r = rules;
    if (!r.anyThreshold || result == null) {
      return;
    }
    try {
      if (result instanceof ReserveResult.Reserved reserved) {
        List<ReserveResult.TargetStatus> statuses = reserved.statuses();
        for (int i = 0; i < statuses.size(); i++) {
          ReserveResult.TargetStatus ts = statuses.get(i);
          double[] at = r.at[ts.target().scope().ordinal()];
          if (at == null) {
            continue;
          }
          List<WindowStatus> windows = ts.windows();
          for (int j = 0; j < windows.size(); j++) {
            WindowStatus w = windows.get(j);
            if (fraction(w) + EPSILON >= at[0]) {
              crossed(r, tier, ts.target(), w, at, false);
            }
          }
        }
      } else if (result instanceof ReserveResult.OverQuota over && !over.neverFits()) {
        double[] at = r.at[over.target().scope().ordinal()];
        if (at != null && at[at.length - 1] >= 1.0) {
          crossed(r, tier, over.target(), over.binding(), new double[] {1.0}, true);
        }
      }
    } catch (RuntimeException e) {
      // alerts never fail a Check
      LOG.warn("alerts.internal_error: {}", e.toString());
    }
  }

  private static double fraction(WindowStatus w) {
    return (double) w.used() / w.limit().max();
  }

  private void crossed(
      Rules r, String tier, QuotaTarget target, WindowStatus w, double[] at, boolean refused) {
    long now = clock.millis();
    double f = refused ? 1.0 : fraction(w);
    AlertPeriod period = AlertPeriod.of(w.limit().window(), now);
    String id = target.scope() == Scope.GLOBAL ? "" : idOf(target);
    for (double threshold : at) {
      if (f + EPSILON < threshold) {
        break;
      }
      Alert.Threshold alert =
          new Alert.Threshold(
              target.scope(),
              id,
              tier,
              w.limit().window().name(),
              w.limit().unit(),
              w.used(),
              w.limit().max(),
              threshold,
              period.startMillis(),
              period.endMillis(),
              refused,
              now);
      if (seen.claim(alert.dedupeKey(), alert.expiresAtMillis(), now)) {
        offer(r, alert);
      }
    }
  }

  /** The id part of a quota key ({@code alice} of {@code user:alice}). */
  private static String idOf(QuotaTarget target) {
    String key = target.key();
    int colon = key.indexOf(':');
    return colon < 0 ? key : key.substring(colon + 1);
  }

  /**
   * An operational event on this replica; alerts when a rule names it, at most once a minute per
   * replica. {@code detail} says what happened and must hold no secret. Never throws.
   */
  public void event(AlertEvent event, String detail) {
    Rules r = rules;
    if (!r.events.contains(event)) {
      return;
    }
    long now = clock.millis();
    String d =
        detail == null ? "" : detail.length() > 500 ? detail.substring(0, 500) + "…" : detail;
    Alert.Event alert =
        new Alert.Event(event, d, now - Math.floorMod(now, Alert.Event.PERIOD_MILLIS), now);
    if (seen.claim(alert.dedupeKey(), alert.expiresAtMillis(), now)) {
      offer(r, alert);
    }
  }

  /** Alerts sent and dropped, by webhook. */
  public AlertStats stats() {
    return stats;
  }

  /** Alerts waiting to be sent. */
  public int queued() {
    AlertDelivery d = delivery;
    return d == null ? 0 : d.queued();
  }

  /**
   * Whether every alert seen so far has been delivered, dropped, or found already sent (by this or
   * another replica): nothing is queued, claimed or being retried.
   */
  public boolean idle() {
    AlertDelivery d = delivery;
    return d == null || d.idle();
  }

  /** Stops sending; alerts still queued or being retried are dropped. */
  @Override
  public void close() {
    AlertDelivery d;
    synchronized (this) {
      closed = true;
      d = delivery;
    }
    if (d != null) {
      d.close();
    }
  }
}
