package dev.tollgate.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one way a duration is written in the configuration file: a whole number and a unit, {@code
 * 500ms}, {@code 10s}, {@code 5m} or {@code 1h}. (A quota window is not a duration: it is read by
 * {@link dev.tollgate.quota.Window#parse}, which also knows {@code month}.)
 */
final class DurationText {
  private static final Pattern DURATION = Pattern.compile("([0-9]+)(ms|s|m|h)");

  /** What an error says was expected. */
  static final String EXPECTED = "a duration such as 500ms, 10s, 5m or 1h";

  private DurationText() {}

  /** The duration, or null when the text is not one (surrounding blanks are ignored). */
  static Duration parse(String text) {
    Matcher m = DURATION.matcher(text.strip());
    if (!m.matches()) {
      return null;
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      default -> Duration.ofHours(n);
    };
  }
}
