package dev.tollgate.config;

import java.math.BigDecimal;

/**
 * A model's tokenizer and prices.
 *
 * @param name the model name as clients send it
 * @param encoding jtokkit encoding name ({@code o200k_base}, {@code cl100k_base}, ...) or null for
 *     Tollgate's default for the model family
 * @param inputUsdPerMtok USD per million input tokens (zero if unpriced)
 * @param cachedInputUsdPerMtok USD per million cached input tokens, or null to price them as input
 * @param outputUsdPerMtok USD per million output tokens (zero if unpriced)
 */
public record ModelConfig(
    String name,
    String encoding,
    BigDecimal inputUsdPerMtok,
    BigDecimal cachedInputUsdPerMtok,
    BigDecimal outputUsdPerMtok) {
  /**
   * A model with the default tokenizer for its family and no prices (cached input priced as input).
   */
  public static ModelConfig unpriced(String name) {
    return new ModelConfig(name, null, BigDecimal.ZERO, null, BigDecimal.ZERO);
  }
}
