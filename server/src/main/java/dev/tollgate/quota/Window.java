package dev.tollgate.quota;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A quota window: either a sliding window of fixed length ({@code 30s}, {@code 5m}, {@code 1h},
 * {@code 1d}, {@code 7d}) or the calendar month in UTC ({@code month}).
 *
 * @param name the window's canonical name, also its identity inside a usage record
 * @param length the sliding length; for {@code month} a nominal 31 days (the longest month)
 * @param calendarMonth true for the calendar month
 */
public record Window(String name, Duration length, boolean calendarMonth) {

  private static final Pattern SLIDING = Pattern.compile("([1-9][0-9]{0,6})(s|m|h|d)");

  /** The nominal length of a calendar month, used for expiry. */
  public static final Duration MONTH_NOMINAL = Duration.ofDays(31);

  public Window {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(length, "length");
    if (length.isNegative() || length.isZero()) {
      throw new IllegalArgumentException("length: " + length + " (expected: > 0)");
    }
  }

  /** The calendar month (UTC). */
  public static Window month() {
    return new Window("month", MONTH_NOMINAL, true);
  }

  /**
   * Parses {@code month} or {@code <n><s|m|h|d>}.
   *
   * @throws IllegalArgumentException with a message saying what was expected
   */
  public static Window parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("window: null (expected: e.g. 5m, 1h, 1d or month)");
    }
    String t = text.trim();
    if (t.equals("month")) {
      return month();
    }
    Matcher m = SLIDING.matcher(t);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "window: '" + text + "' (expected: <n>s, <n>m, <n>h, <n>d or month, e.g. 5m)");
    }
    long n = Long.parseLong(m.group(1));
    Duration d =
        switch (m.group(2)) {
          case "s" -> Duration.ofSeconds(n);
          case "m" -> Duration.ofMinutes(n);
          case "h" -> Duration.ofHours(n);
          default -> Duration.ofDays(n);
        };
    return new Window(t, d, false);
  }

  @Override
  public String toString() {
    return name;
  }
}
