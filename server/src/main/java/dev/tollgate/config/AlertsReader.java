package dev.tollgate.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tollgate.quota.Scope;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** Reads {@code alerts}: the webhooks, the rules that alert and how alerts are delivered. */
final class AlertsReader {
  static final SectionKeys ALERTS = SectionKeys.of("alerts", "webhooks", "rules", "delivery");
  static final SectionKeys WEBHOOK =
      SectionKeys.of(
          "alerts.webhooks[]",
          "name",
          "url",
          "url_env",
          "url_file",
          "format",
          "secret",
          "secret_env",
          "secret_file");
  static final SectionKeys RULE = SectionKeys.of("alerts.rules[]", "scope", "at", "event");
  static final SectionKeys DELIVERY =
      SectionKeys.of("alerts.delivery", "timeout", "attempts", "backoff", "queue_size");

  /** The keys it reads, at every level. */
  static final List<SectionKeys> KEYS =
      List.of(SectionKeys.of("", "alerts"), ALERTS, WEBHOOK, RULE, DELIVERY);

  private AlertsReader() {}

  static AlertsConfig read(Section root) {
    Section n = root.section("alerts", ALERTS, false);
    if (n == null) {
      return AlertsConfig.NONE;
    }
    List<AlertsConfig.Webhook> webhooks = webhooks(n);
    List<AlertsConfig.ThresholdRule> thresholds = new ArrayList<>();
    Set<AlertEvent> events = EnumSet.noneOf(AlertEvent.class);
    rules(n, thresholds, events);
    AlertsConfig.Delivery delivery = delivery(n);
    return new AlertsConfig(webhooks, thresholds, events, delivery);
  }

  private static List<JsonNode> list(Section n, String key, String expected) {
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) {
      n.error(key, "missing (expected: " + expected + ")");
      return List.of();
    }
    if (!v.isArray() || v.isEmpty()) {
      n.error(
          key, (v.isArray() ? "empty" : "a " + Reading.kind(v)) + " (expected: " + expected + ")");
      return List.of();
    }
    List<JsonNode> out = new ArrayList<>();
    v.forEach(out::add);
    return out;
  }

  private static List<AlertsConfig.Webhook> webhooks(Section n) {
    List<AlertsConfig.Webhook> out = new ArrayList<>();
    List<JsonNode> items =
        list(n, "webhooks", "a list of { name, url, format: slack | json, secret }");
    Set<String> names = new HashSet<>();
    for (int i = 0; i < items.size(); i++) {
      Section w =
          n.reading().section(items.get(i), n.path("webhooks") + "[" + i + "]", WEBHOOK, true);
      if (w == null) {
        continue;
      }
      String name = w.required("name");
      if (name != null && !name.matches("[A-Za-z0-9_.-]{1,64}")) {
        w.error("name", "'" + name + "' (expected: 1 to 64 letters, digits, '_', '.' or '-')");
        name = null;
      } else if (name != null && !names.add(name)) {
        w.error("name", "'" + name + "' is used by another webhook (expected: a unique name)");
        name = null;
      }
      URI url = url(w);
      AlertsConfig.Format format = w.oneOf("format", AlertsConfig.Format.JSON);
      Secret secret = w.secret("secret", false);
      if (secret != null && secret.reveal().isEmpty()) {
        w.error("the secret (" + secret.origin() + ") is empty (expected: a non-empty key)");
        secret = null;
      }
      if (name != null && url != null) {
        out.add(new AlertsConfig.Webhook(name, url, format, secret));
      }
    }
    return out;
  }

  /** The webhook's URL, read as a secret: an error never shows it. */
  private static URI url(Section w) {
    Secret s = w.secret("url", true);
    if (s == null) {
      return null;
    }
    String expected =
        " (expected: an absolute http or https URL, e.g. https://hooks.example/T0/B0)";
    String key = w.has("url") ? "url" : w.has("url_env") ? "url_env" : "url_file";
    URI u;
    try {
      u = new URI(s.reveal());
    } catch (URISyntaxException e) {
      w.error(key, "the URL (" + s.origin() + ") is not a valid URL" + expected);
      return null;
    }
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https") || u.getHost() == null) {
      w.error(key, "the URL (" + s.origin() + ") is not an http or https URL" + expected);
      return null;
    }
    return u;
  }

  private static void rules(
      Section n, List<AlertsConfig.ThresholdRule> thresholds, Set<AlertEvent> events) {
    List<JsonNode> items =
        list(
            n,
            "rules",
            "a list of { scope: user | conversation | key | global, at: [0.8, 1.0] } or"
                + " { event: store_unavailable | reload_failed }");
    Set<Scope> scopes = EnumSet.noneOf(Scope.class);
    for (int i = 0; i < items.size(); i++) {
      Section r = n.reading().section(items.get(i), n.path("rules") + "[" + i + "]", RULE, true);
      if (r == null) {
        continue;
      }
      boolean hasScope = r.has("scope");
      boolean hasEvent = r.has("event");
      if (hasScope == hasEvent) {
        r.error(
            (hasScope ? "both scope and event" : "neither scope nor event")
                + " (expected: { scope, at } or { event })");
        continue;
      }
      if (hasEvent) {
        if (r.has("at")) {
          r.error("at", "set on an event rule (expected: at only with scope)");
        }
        String name = r.string("event", null);
        AlertEvent e = null;
        for (AlertEvent candidate : AlertEvent.values()) {
          if (candidate.configName().equals(name)) {
            e = candidate;
          }
        }
        if (e == null) {
          if (name != null) {
            r.error("event", "'" + name + "' (expected: store_unavailable | reload_failed)");
          }
        } else if (!events.add(e)) {
          r.error(
              "event", "'" + e.configName() + "' has another rule (expected: one rule per event)");
        }
        continue;
      }
      String scopeName = r.string("scope", null);
      Scope scope = scopeName == null ? null : Scope.fromConfigName(scopeName);
      if (scopeName != null && scope == null) {
        r.error("scope", "'" + scopeName + "' (expected: user, conversation, key or global)");
      } else if (scope != null && !scopes.add(scope)) {
        r.error("scope", "'" + scopeName + "' has another rule (expected: one rule per scope)");
        scope = null;
      }
      List<Double> at = fractions(r);
      if (scope != null && at != null) {
        thresholds.add(new AlertsConfig.ThresholdRule(scope, at));
      }
    }
  }

  /** {@code at}: fractions in (0, 1], sorted; null after an error. */
  private static List<Double> fractions(Section r) {
    String expected = "a non-empty list of fractions in (0, 1], e.g. [0.8, 1.0]";
    JsonNode v = r.get("at");
    if (v == null || v.isNull() || !v.isArray() || v.isEmpty()) {
      r.error(
          "at",
          (v == null || v.isNull() ? "missing" : v.isArray() ? "empty" : "a " + Reading.kind(v))
              + " (expected: "
              + expected
              + ")");
      return null;
    }
    List<Double> out = new ArrayList<>();
    boolean ok = true;
    for (int i = 0; i < v.size(); i++) {
      String path = r.path("at") + "[" + i + "]";
      BigDecimal d = r.reading().decimal(v.get(i), path);
      if (d == null) {
        ok = false;
      } else if (d.signum() <= 0 || d.compareTo(BigDecimal.ONE) > 0) {
        r.reading().error(path, d.toPlainString() + " (expected: a fraction in (0, 1], e.g. 0.8)");
        ok = false;
      } else if (out.contains(d.doubleValue())) {
        r.reading().error(path, d.toPlainString() + " is listed twice (expected: each once)");
        ok = false;
      } else {
        out.add(d.doubleValue());
      }
    }
    out.sort(null);
    return ok ? out : null;
  }

  private static AlertsConfig.Delivery delivery(Section n) {
    AlertsConfig.Delivery d = AlertsConfig.Delivery.DEFAULTS;
    Section s = n.section("delivery", DELIVERY, false);
    if (s == null) {
      return d;
    }
    Duration timeout = d.timeout();
    Duration t = s.duration("timeout");
    if (t != null && (t.isZero() || t.compareTo(Duration.ofMinutes(1)) > 0)) {
      s.error("timeout", t.toMillis() + "ms (expected: from 1ms to 1m)");
    } else if (t != null) {
      timeout = t;
    }
    int attempts = (int) s.integer("attempts", 1, 10, d.attempts());
    Duration backoff = d.backoff();
    Duration b = s.duration("backoff");
    if (b != null && b.compareTo(Duration.ofMinutes(10)) > 0) {
      s.error("backoff", b.toMillis() + "ms (expected: at most 10m)");
    } else if (b != null) {
      backoff = b;
    }
    int queue = (int) s.integer("queue_size", 1, 1_000_000, d.queueSize());
    return new AlertsConfig.Delivery(timeout, attempts, backoff, queue);
  }
}
