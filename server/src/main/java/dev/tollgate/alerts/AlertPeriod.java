package dev.tollgate.alerts;

import dev.tollgate.quota.Window;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;

/**
 * The period a threshold alert is sent once for: the calendar month (UTC) for a {@code month}
 * window; for a sliding window, consecutive spans of its length from the epoch ({@code 1d}: each
 * UTC day, {@code 1h}: each hour). A key that stays above a threshold alerts again in the next
 * period.
 *
 * @param startMillis the first millisecond of the period
 * @param endMillis the first millisecond after it
 */
public record AlertPeriod(long startMillis, long endMillis) {
  /** The period of {@code window} that holds {@code nowMillis}. */
  public static AlertPeriod of(Window window, long nowMillis) {
    if (window.calendarMonth()) {
      ZonedDateTime start =
          Instant.ofEpochMilli(nowMillis)
              .atZone(ZoneOffset.UTC)
              .withDayOfMonth(1)
              .toLocalDate()
              .atStartOfDay(ZoneOffset.UTC);
      return new AlertPeriod(
          start.toInstant().toEpochMilli(), start.plusMonths(1).toInstant().toEpochMilli());
    }
    long length = window.length().toMillis();
    long start = nowMillis - Math.floorMod(nowMillis, length);
    return new AlertPeriod(start, start + length);
  }
}
