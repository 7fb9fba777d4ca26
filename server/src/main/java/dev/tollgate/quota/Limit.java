package dev.tollgate.quota;

import java.util.Objects;

/**
 * At most {@code max} units of {@code unit} per {@code window}.
 *
 * @param window the window
 * @param unit tokens, nano-USD or requests
 * @param max the cap, &gt; 0
 * @param mode {@link Mode#ENFORCE} refuses what does not fit; {@link Mode#SHADOW} counts and
 *     reports, never refuses
 * @param onError what a request this limit applies to gets when the store cannot answer, or null
 *     for the store-wide policy
 */
public record Limit(Window window, Unit unit, long max, Mode mode, FailurePolicy onError) {

  /** Whether a limit refuses. */
  public enum Mode {
    /** Refuses a request that does not fit. */
    ENFORCE,
    /** Counted and reported when exceeded, never refuses. */
    SHADOW
  }

  /** What a request gets when the store cannot answer. */
  public enum FailurePolicy {
    /** Refused (503). */
    DENY,
    /** Allowed, uncounted. */
    ALLOW
  }

  public Limit {
    Objects.requireNonNull(window, "window");
    Objects.requireNonNull(unit, "unit");
    Objects.requireNonNull(mode, "mode");
    if (max <= 0) {
      throw new IllegalArgumentException("max: " + max + " (expected: > 0)");
    }
  }

  /** An enforced limit following the store-wide failure policy. */
  public Limit(Window window, Unit unit, long max) {
    this(window, unit, max, Mode.ENFORCE, null);
  }

  /** Whether this limit only reports. */
  public boolean shadow() {
    return mode == Mode.SHADOW;
  }

  /** The amount of a charge this limit counts. */
  public long amountOf(Charge charge) {
    return switch (unit) {
      case TOKENS -> charge.tokens();
      case NANO_USD -> charge.nanoUsd();
      case REQUESTS -> charge.requests();
    };
  }

  /**
   * {@code scope:window:unit}, how a limit is named in metadata and logs ({@code
   * user:1m:requests}).
   */
  public String label(Scope scope) {
    return scope.configName() + ":" + window.name() + ":" + unit.configName();
  }

  @Override
  public String toString() {
    String amount =
        switch (unit) {
          case TOKENS -> max + " tokens";
          case NANO_USD -> Money.format(max);
          case REQUESTS -> max + " requests";
        };
    return window.name() + ":" + amount + (shadow() ? " (shadow)" : "");
  }
}
