package dev.tollgate.config;

/**
 * The real upstream API.
 *
 * @param apiKey the upstream API key Tollgate swaps in on allow; null when Envoy injects it
 * @param injectedBy who puts the upstream key on an allowed request
 */
public record UpstreamConfig(Secret apiKey, InjectedBy injectedBy) {
  /** Who puts the key on when the file does not say: Tollgate. */
  public static final InjectedBy DEFAULT_INJECTED_BY = InjectedBy.TOLLGATE;

  /** Who puts the upstream key on an allowed request. */
  public enum InjectedBy {
    /** Tollgate's Check answer sets {@code authorization} to the upstream key (the default). */
    TOLLGATE,
    /**
     * Envoy's credential injector adds it after the Check; the Check answer only removes the
     * client's {@code authorization}, so no Check answer ever carries the key.
     */
    ENVOY
  }

  public UpstreamConfig {
    if (injectedBy == null) {
      throw new IllegalArgumentException("injectedBy: null (expected: TOLLGATE or ENVOY)");
    }
    if (injectedBy == InjectedBy.ENVOY && apiKey != null) {
      throw new IllegalArgumentException(
          "apiKey: set (expected: none when Envoy injects the upstream key)");
    }
  }

  /** Tollgate swaps in this key (null: none configured). */
  public UpstreamConfig(Secret apiKey) {
    this(apiKey, DEFAULT_INJECTED_BY);
  }

  /** Envoy injects the key; Tollgate holds none. */
  public static UpstreamConfig injectedByEnvoy() {
    return new UpstreamConfig(null, InjectedBy.ENVOY);
  }
}
