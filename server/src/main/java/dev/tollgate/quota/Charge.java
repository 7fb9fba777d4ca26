package dev.tollgate.quota;

/**
 * What a request costs or is expected to cost.
 *
 * @param tokens tokens, &ge; 0
 * @param nanoUsd money in nano-USD, &ge; 0
 */
public record Charge(long tokens, long nanoUsd) {
  /** Nothing. */
  public static final Charge ZERO = new Charge(0, 0);

  public Charge {
    if (tokens < 0) {
      throw new IllegalArgumentException("tokens: " + tokens + " (expected: >= 0)");
    }
    if (nanoUsd < 0) {
      throw new IllegalArgumentException("nanoUsd: " + nanoUsd + " (expected: >= 0)");
    }
  }
}
