package dev.tollgate.accounting;

import dev.tollgate.config.ModelConfig;
import dev.tollgate.quota.Money;
import java.util.Map;

/** Prices tokens in nano-USD from the per-model price table. */
public final class Pricing {
  private final Map<String, ModelConfig> models;

  public Pricing(Map<String, ModelConfig> models) {
    this.models = Map.copyOf(models);
  }

  /**
   * The price of a call.
   *
   * @param model model name (unpriced models cost nothing)
   * @param inputTokens all input tokens, cached included
   * @param cachedInputTokens the cached part of the input
   * @param outputTokens output tokens (reasoning included)
   * @return the price, saturating at {@code Long.MAX_VALUE} rather than overflowing
   */
  public long nanoUsd(String model, long inputTokens, long cachedInputTokens, long outputTokens) {
    ModelConfig m = model == null ? null : models.get(model);
    if (m == null) {
      return 0;
    }
    long cached = Math.max(0, Math.min(cachedInputTokens, inputTokens));
    long uncached = inputTokens - cached;
    long price =
        Money.addSaturated(
            Money.priceNanoUsd(uncached, m.inputUsdPerMtok()),
            Money.priceNanoUsd(outputTokens, m.outputUsdPerMtok()));
    return Money.addSaturated(
        price,
        Money.priceNanoUsd(
            cached,
            m.cachedInputUsdPerMtok() != null ? m.cachedInputUsdPerMtok() : m.inputUsdPerMtok()));
  }
}
