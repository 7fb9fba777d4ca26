package dev.tollgate.quota;

import java.util.Objects;

/**
 * At most {@code max} units of {@code unit} per {@code window}.
 *
 * @param window the window
 * @param unit tokens or nano-USD
 * @param max the cap, &gt; 0
 */
public record Limit(Window window, Unit unit, long max) {
  public Limit {
    Objects.requireNonNull(window, "window");
    Objects.requireNonNull(unit, "unit");
    if (max <= 0) {
      throw new IllegalArgumentException("max: " + max + " (expected: > 0)");
    }
  }

  /** The amount of a charge this limit counts. */
  public long amountOf(Charge charge) {
    return unit == Unit.TOKENS ? charge.tokens() : charge.nanoUsd();
  }

  @Override
  public String toString() {
    return window.name() + ":" + (unit == Unit.TOKENS ? max + " tokens" : Money.format(max));
  }
}
