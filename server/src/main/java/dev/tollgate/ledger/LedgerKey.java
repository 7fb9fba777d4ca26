package dev.tollgate.ledger;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Objects;

/**
 * What one daily aggregate is about.
 *
 * @param day the UTC day
 * @param tier the tier
 * @param user the end user
 * @param serviceKey the service key's name
 * @param model the requested model
 */
public record LedgerKey(LocalDate day, String tier, String user, String serviceKey, String model) {
  public LedgerKey {
    Objects.requireNonNull(day, "day");
    Objects.requireNonNull(tier, "tier");
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(serviceKey, "serviceKey");
    Objects.requireNonNull(model, "model");
  }

  /** The key for something that happened at {@code atMillis} (its UTC day). */
  public static LedgerKey of(
      long atMillis, String tier, String user, String serviceKey, String model) {
    return new LedgerKey(utcDay(atMillis), tier, user, serviceKey, model);
  }

  /** The UTC day of an epoch-millis instant. */
  public static LocalDate utcDay(long atMillis) {
    return LocalDate.ofInstant(Instant.ofEpochMilli(atMillis), ZoneOffset.UTC);
  }

  /**
   * A stable text form, {@code 2026-11-30|tier|user|key|model} with every name URL-encoded: the day
   * first, so that keys sort by day, then by tier.
   */
  public String id() {
    return day + "|" + enc(tier) + "|" + enc(user) + "|" + enc(serviceKey) + "|" + enc(model);
  }

  /**
   * Parses {@link #id()}.
   *
   * @throws IllegalArgumentException if the text is not a ledger key
   */
  public static LedgerKey parse(String id) {
    String[] p = id.split("\\|", -1);
    if (p.length != 5) {
      throw new IllegalArgumentException("ledger key: '" + id + "' (expected 5 parts)");
    }
    try {
      return new LedgerKey(LocalDate.parse(p[0]), dec(p[1]), dec(p[2]), dec(p[3]), dec(p[4]));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("ledger key: '" + id + "': " + e.getMessage(), e);
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String dec(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }
}
