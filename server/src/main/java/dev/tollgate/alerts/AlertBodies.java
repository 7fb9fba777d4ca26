package dev.tollgate.alerts;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.config.AlertsConfig;
import dev.tollgate.quota.Money;
import dev.tollgate.quota.Scope;
import dev.tollgate.quota.Unit;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * What a webhook receives: an alert written in the webhook's format ({@code json} or {@code
 * slack}), and the signature of a body.
 */
public final class AlertBodies {
  /** The header carrying the signature, {@code sha256=<hex>}. */
  public static final String SIGNATURE_HEADER = "X-Tollgate-Signature";

  /** The header carrying the signing time, in seconds since the epoch. */
  public static final String TIMESTAMP_HEADER = "X-Tollgate-Timestamp";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final String replica;
  private final String cluster;

  /**
   * @param replica names this replica in every alert
   * @param cluster names the cluster (the Hazelcast cluster name), or null
   */
  public AlertBodies(String replica, String cluster) {
    this.replica = replica;
    this.cluster = cluster;
  }

  /** The body of {@code alert} in {@code format}. */
  public String body(Alert alert, AlertsConfig.Format format) {
    return format == AlertsConfig.Format.SLACK ? slack(alert) : json(alert);
  }

  /** Tollgate's JSON object. */
  public String json(Alert alert) {
    ObjectNode o = JSON.createObjectNode();
    if (alert instanceof Alert.Threshold t) {
      o.put("type", "threshold");
      o.put("scope", t.scope().configName());
      o.put("id", t.id());
      o.put("tier", t.tier());
      o.put("window", t.window());
      o.put("unit", t.unit() == Unit.TOKENS ? "tokens" : "usd");
      if (t.unit() == Unit.TOKENS) {
        o.put("used", t.used());
        o.put("limit", t.limit());
      } else {
        o.put("used", Money.toUsd(t.used()));
        o.put("limit", Money.toUsd(t.limit()));
      }
      o.put("threshold", BigDecimal.valueOf(t.threshold()));
      o.put("refused", t.refused());
      o.put("period_start", Instant.ofEpochMilli(t.periodStartMillis()).toString());
      o.put("period_end", Instant.ofEpochMilli(t.periodEndMillis()).toString());
    } else if (alert instanceof Alert.Event e) {
      o.put("type", "event");
      o.put("event", e.event().configName());
      o.put("detail", e.detail());
    }
    o.put("at", Instant.ofEpochMilli(alert.atMillis()).toString());
    o.put("replica", replica);
    if (cluster != null) {
      o.put("cluster", cluster);
    }
    return o.toString();
  }

  /** A Slack incoming-webhook message, {@code {"text": "..."}}. */
  public String slack(Alert alert) {
    ObjectNode o = JSON.createObjectNode();
    o.put("text", text(alert));
    return o.toString();
  }

  /** The alert in one sentence. */
  public String text(Alert alert) {
    String where = "replica " + replica + (cluster == null ? "" : ", cluster " + cluster);
    if (alert instanceof Alert.Threshold t) {
      return "Tollgate: "
          + who(t)
          + (t.refused() ? " was refused by " : " has used ")
          + percent(t.threshold())
          + (t.refused() ? " (full) " : " of ")
          + "its "
          + t.window()
          + " "
          + (t.unit() == Unit.TOKENS ? "token" : "USD")
          + " limit: "
          + amount(t.unit(), t.used())
          + " of "
          + amount(t.unit(), t.limit())
          + " (tier "
          + t.tier()
          + "). The period ends "
          + Instant.ofEpochMilli(t.periodEndMillis())
          + ". ("
          + where
          + ")";
    }
    Alert.Event e = (Alert.Event) alert;
    return "Tollgate: " + e.event().configName() + ": " + e.detail() + " (" + where + ")";
  }

  private static String who(Alert.Threshold t) {
    return t.scope() == Scope.GLOBAL ? "global usage" : t.scope().configName() + " " + t.id();
  }

  private static String percent(double fraction) {
    BigDecimal p = BigDecimal.valueOf(fraction).movePointRight(2).stripTrailingZeros();
    return p.toPlainString() + "%";
  }

  private static String amount(Unit unit, long value) {
    return unit == Unit.TOKENS
        ? String.format(Locale.ROOT, "%,d tokens", value)
        : "$" + Money.toUsd(value).stripTrailingZeros().toPlainString();
  }

  /**
   * The signature of a body sent at {@code timestampSeconds}: {@code sha256=} and the hex
   * HMAC-SHA256 of {@code <timestamp>.<body>} under {@code secret}.
   */
  public static String signature(String secret, long timestampSeconds, String body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      byte[] h = mac.doFinal((timestampSeconds + "." + body).getBytes(StandardCharsets.UTF_8));
      return "sha256=" + HexFormat.of().formatHex(h);
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}
