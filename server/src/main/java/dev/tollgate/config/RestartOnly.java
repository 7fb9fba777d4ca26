package dev.tollgate.config;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The settings a running Tollgate reads once, at start-up: the listeners ({@code server}, except
 * {@code log_format}), the quota store ({@code store}) and the reservations' life ({@code
 * accounting.ticket_keys}, {@code pending_ttl}, {@code pending_expiry}). A reload that changes them
 * reports them as needing a restart and keeps the values in use; everything else applies at once.
 */
final class RestartOnly {
  /** Record components whose configuration key is not their name in snake case. */
  private static final Map<String, String> KEY_NAMES =
      Map.of("kind", "type", "deadline", "deadline_ms", "bindInterface", "interface");

  private RestartOnly() {}

  /** The key paths whose value differs between {@code running} and {@code next}, in file order. */
  static List<String> changes(TollgateConfig running, TollgateConfig next) {
    List<String> out = new ArrayList<>();
    diff("server", running.server().withLogFormat(next.server().logFormat()), next.server(), out);
    diff("store", running.store(), next.store(), out);
    AccountingConfig a = running.accounting();
    AccountingConfig b = next.accounting();
    diff("accounting.ticket_keys", a.ticketKeys(), b.ticketKeys(), out);
    diff("accounting.pending_ttl", a.pendingTtl(), b.pendingTtl(), out);
    diff("accounting.pending_expiry", a.pendingExpiry(), b.pendingExpiry(), out);
    return out;
  }

  /** {@code next} with the restart-only settings of {@code running}. */
  static TollgateConfig keep(TollgateConfig running, TollgateConfig next) {
    AccountingConfig a = running.accounting();
    AccountingConfig b = next.accounting();
    return new TollgateConfig(
        next.source(),
        next.upstream(),
        next.keys(),
        next.identity(),
        next.models(),
        next.tiers(),
        next.routes(),
        running.server().withLogFormat(next.server().logFormat()),
        running.store(),
        new AccountingConfig(
            b.addIncludeUsage(),
            a.ticketKeys(),
            a.pendingTtl(),
            a.pendingExpiry(),
            b.missingUsage()),
        next.request(),
        next.alerts());
  }

  /** Adds {@code path} (or the paths inside it, for records) when the values differ. */
  private static void diff(String path, Object a, Object b, List<String> out) {
    if (Objects.equals(a, b)) {
      return;
    }
    if (a == null || b == null || !a.getClass().isRecord() || a.getClass() != b.getClass()) {
      out.add(path);
      return;
    }
    int before = out.size();
    for (RecordComponent c : a.getClass().getRecordComponents()) {
      diff(path + "." + key(c.getName()), value(c, a), value(c, b), out);
    }
    if (out.size() == before) {
      out.add(path); // equal parts, yet unequal: name the whole
    }
  }

  private static Object value(RecordComponent c, Object record) {
    try {
      return c.getAccessor().invoke(record);
    } catch (IllegalAccessException | InvocationTargetException e) {
      throw new IllegalStateException("cannot read " + c.getName(), e);
    }
  }

  /** {@code clientCaFile} → {@code client_ca_file}. */
  private static String key(String component) {
    String named = KEY_NAMES.get(component);
    return named != null
        ? named
        : component.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
  }
}
