package dev.tollgate.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads {@code accounting}: ext_proc's include_usage, ticket keys and what unsettled reservations
 * become.
 */
final class AccountingReader {
  static final SectionKeys ACCOUNTING =
      SectionKeys.of(
          "accounting",
          "add_include_usage",
          "ticket_keys",
          "pending_ttl",
          "pending_expiry",
          "missing_usage");

  /** The keys it reads, at every level. */
  static final List<SectionKeys> KEYS = List.of(SectionKeys.of("", "accounting"), ACCOUNTING);

  /** The shortest {@code pending_ttl}: above the longest response. */
  private static final Duration MIN_PENDING_TTL = Duration.ofMinutes(1);

  private AccountingReader() {}

  static AccountingConfig read(Section root) {
    AccountingConfig d = AccountingConfig.DEFAULTS;
    Section n = root.section("accounting", ACCOUNTING, false);
    if (n == null) {
      return d;
    }
    boolean includeUsage = n.bool("add_include_usage", d.addIncludeUsage());
    List<Secret> ticketKeys = new ArrayList<>();
    JsonNode ks = n.get("ticket_keys");
    if (ks != null && !ks.isNull()) {
      if (!ks.isArray() || ks.isEmpty() || ks.size() > 2) {
        n.error(
            "ticket_keys",
            "a "
                + Reading.kind(ks)
                + " (expected: a list of 1 or 2 keys, e.g. [\"${TICKET_KEY}\"])");
      } else {
        for (int i = 0; i < ks.size(); i++) {
          Secret k =
              n.reading()
                  .secretItem(
                      ks.get(i),
                      n.path("ticket_keys") + "[" + i + "]",
                      32,
                      "too short (expected: at least 32 characters, e.g. from: openssl rand -base64 32)");
          if (k != null) {
            ticketKeys.add(k);
          }
        }
      }
    }
    Duration ttl = d.pendingTtl();
    Duration t = n.duration("pending_ttl");
    if (t != null && t.compareTo(MIN_PENDING_TTL) < 0) {
      n.error(
          "pending_ttl", t.toSeconds() + "s (expected: at least 1m, above the longest response)");
    } else if (t != null) {
      ttl = t;
    }
    AccountingConfig.PendingExpiry expiry = n.choice("pending_expiry", d.pendingExpiry(), " | ");
    AccountingConfig.MissingUsage missing = n.choice("missing_usage", d.missingUsage(), " | ");
    return new AccountingConfig(includeUsage, ticketKeys, ttl, expiry, missing);
  }
}
