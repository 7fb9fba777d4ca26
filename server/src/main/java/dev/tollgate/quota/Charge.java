package dev.tollgate.quota;

/**
 * What a request costs or is expected to cost.
 *
 * @param tokens tokens, &ge; 0
 * @param nanoUsd money in nano-USD, &ge; 0
 * @param requests requests, &ge; 0 (1 for an admitted request; settlement never changes it)
 */
public record Charge(long tokens, long nanoUsd, long requests) {
  /** Nothing. */
  public static final Charge ZERO = new Charge(0, 0, 0);

  /** One request and nothing else (a route that counts requests only). */
  public static final Charge ONE_REQUEST = new Charge(0, 0, 1);

  public Charge {
    if (tokens < 0) {
      throw new IllegalArgumentException("tokens: " + tokens + " (expected: >= 0)");
    }
    if (nanoUsd < 0) {
      throw new IllegalArgumentException("nanoUsd: " + nanoUsd + " (expected: >= 0)");
    }
    if (requests < 0) {
      throw new IllegalArgumentException("requests: " + requests + " (expected: >= 0)");
    }
  }

  /** Tokens and money, no request. */
  public Charge(long tokens, long nanoUsd) {
    this(tokens, nanoUsd, 0);
  }

  /** This charge with {@code requests} requests. */
  public Charge withRequests(long requests) {
    return new Charge(tokens, nanoUsd, requests);
  }
}
