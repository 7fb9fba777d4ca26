package dev.tollgate.config;

import dev.tollgate.quota.Limit;
import dev.tollgate.quota.Scope;
import java.util.List;

/**
 * A tier: which models its keys may call and the limits that apply to them.
 *
 * @param name the tier's name
 * @param models allowed model names (exact)
 * @param outputReserveTokens output tokens reserved when a request sets no maximum
 * @param limits the limits, any scope
 */
public record TierConfig(
    String name, List<String> models, int outputReserveTokens, List<LimitConfig> limits) {
  /** Output tokens reserved when neither the request nor the tier says. */
  public static final int DEFAULT_OUTPUT_RESERVE_TOKENS = 256;

  public TierConfig {
    models = List.copyOf(models);
    limits = List.copyOf(limits);
  }

  /** The limits of one scope. */
  public List<Limit> limitsFor(Scope scope) {
    return limits.stream().filter(l -> l.scope() == scope).map(LimitConfig::limit).toList();
  }
}
