package dev.tollgate.config;

import java.util.Objects;

/** A secret value (an API key). {@code toString} never shows it. */
public final class Secret {
  private final String value;
  private final String origin;

  /**
   * @param value the secret
   * @param origin where it came from, safe to print ({@code file /run/secrets/x}, {@code env
   *     OPENAI_API_KEY})
   */
  public Secret(String value, String origin) {
    this.value = Objects.requireNonNull(value, "value");
    this.origin = Objects.requireNonNull(origin, "origin");
  }

  /** The secret itself: pass it on, never print it. */
  public String reveal() {
    return value;
  }

  /** Where the secret came from (safe to print). */
  public String origin() {
    return origin;
  }

  @Override
  public String toString() {
    return "Secret[" + origin + ", ****]";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Secret s && s.value.equals(value);
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }
}
