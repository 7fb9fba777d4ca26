package dev.tollgate.config;

import dev.tollgate.quota.Scope;
import java.net.URI;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Where alerts go and when they are sent ({@code alerts}).
 *
 * @param webhooks the receivers; every alert goes to each
 * @param thresholds usage fractions that alert, by scope (at most one rule per scope)
 * @param events the operational events that alert
 * @param delivery how alerts are delivered
 */
public record AlertsConfig(
    List<Webhook> webhooks,
    List<ThresholdRule> thresholds,
    Set<AlertEvent> events,
    Delivery delivery) {
  /** No alerts (the section is absent). */
  public static final AlertsConfig NONE =
      new AlertsConfig(List.of(), List.of(), Set.of(), Delivery.DEFAULTS);

  public AlertsConfig {
    webhooks = List.copyOf(webhooks);
    thresholds = List.copyOf(thresholds);
    events = events.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(events));
    Objects.requireNonNull(delivery, "delivery");
  }

  /** Whether any alert can be sent. */
  public boolean enabled() {
    return !webhooks.isEmpty() && (!thresholds.isEmpty() || !events.isEmpty());
  }

  /** How a webhook's body is written. */
  public enum Format {
    /** Tollgate's JSON object (scope, id, tier, window, used, limit, period end...). */
    JSON,
    /** A Slack incoming-webhook message: {@code {"text": "..."}}. */
    SLACK
  }

  /**
   * One receiver. Its URL and secret are secrets: {@code toString} shows neither.
   *
   * @param name names it in logs and metrics
   * @param url where alerts are POSTed (http or https)
   * @param format the body's format
   * @param secret the HMAC-SHA256 key that signs each body, or null for no signature
   */
  public record Webhook(String name, URI url, Format format, Secret secret) {
    public Webhook {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(url, "url");
      Objects.requireNonNull(format, "format");
    }

    @Override
    public String toString() {
      return "Webhook["
          + name
          + ", url ****, "
          + format.name().toLowerCase(java.util.Locale.ROOT)
          + (secret == null ? "" : ", signed")
          + "]";
    }
  }

  /**
   * Alert when a quota key of {@code scope} has used these fractions of any of its limits.
   *
   * @param scope the scope
   * @param at fractions in (0, 1], ascending, without duplicates
   */
  public record ThresholdRule(Scope scope, List<Double> at) {
    public ThresholdRule {
      Objects.requireNonNull(scope, "scope");
      at = List.copyOf(at);
      double previous = 0;
      for (double f : at) {
        if (!(f > previous) || f > 1) {
          throw new IllegalArgumentException(
              "at: " + at + " (expected: ascending fractions in (0, 1])");
        }
        previous = f;
      }
      if (at.isEmpty()) {
        throw new IllegalArgumentException("at: [] (expected: at least one fraction)");
      }
    }
  }

  /**
   * How alerts are delivered.
   *
   * @param timeout the longest one attempt may take
   * @param attempts attempts per alert and webhook, the first included
   * @param backoff the wait before the second attempt, doubled before each later one
   * @param queueSize alerts waiting to be sent; beyond it new ones are dropped (and counted)
   */
  public record Delivery(Duration timeout, int attempts, Duration backoff, int queueSize) {
    /** 5 s per attempt, 3 attempts, 1 s then 2 s apart, 1000 queued. */
    public static final Delivery DEFAULTS =
        new Delivery(Duration.ofSeconds(5), 3, Duration.ofSeconds(1), 1000);

    public Delivery {
      Objects.requireNonNull(timeout, "timeout");
      Objects.requireNonNull(backoff, "backoff");
      if (timeout.isZero() || timeout.isNegative()) {
        throw new IllegalArgumentException("timeout: " + timeout + " (expected: > 0)");
      }
      if (attempts < 1) {
        throw new IllegalArgumentException("attempts: " + attempts + " (expected: >= 1)");
      }
      if (backoff.isNegative()) {
        throw new IllegalArgumentException("backoff: " + backoff + " (expected: >= 0)");
      }
      if (queueSize < 1) {
        throw new IllegalArgumentException("queue_size: " + queueSize + " (expected: >= 1)");
      }
    }
  }
}
