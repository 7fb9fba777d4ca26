package dev.tollgate.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tollgate.accounting.Pricing;
import dev.tollgate.config.ModelConfig;
import dev.tollgate.config.TierConfig;
import dev.tollgate.tokens.ApiKind;
import dev.tollgate.tokens.ParsedRequest;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Output reservation and prices never overflow a long: they saturate. */
class ReservationArithmeticTest {
  private static final TierConfig TIER = new TierConfig("t", List.of("m"), 256, List.of());

  private static ParsedRequest chat(long maxOutputTokens, int n) {
    return new ParsedRequest(
        ApiKind.CHAT_COMPLETIONS, "m", 10, maxOutputTokens, n, false, false, Map.of(), false);
  }

  @Test
  void outputIsMaximumTimesChoicesOrTheTiersReserve() {
    assertEquals(300, Admission.reservedOutputTokens(ApiKind.CHAT_COMPLETIONS, chat(100, 3), TIER));
    assertEquals(512, Admission.reservedOutputTokens(ApiKind.CHAT_COMPLETIONS, chat(-1, 2), TIER));
    assertEquals(0, Admission.reservedOutputTokens(ApiKind.EMBEDDINGS, chat(100, 3), TIER));
  }

  @Test
  void outputSaturatesInsteadOfWrappingAround() {
    // 6148914691236517206 x 3 wraps to 2 in long arithmetic
    assertEquals(
        Long.MAX_VALUE,
        Admission.reservedOutputTokens(
            ApiKind.CHAT_COMPLETIONS, chat(6148914691236517206L, 3), TIER));
    assertEquals(
        Long.MAX_VALUE,
        Admission.reservedOutputTokens(
            ApiKind.CHAT_COMPLETIONS, chat(Long.MAX_VALUE, Integer.MAX_VALUE), TIER));
    assertEquals(
        Long.MAX_VALUE / 2 * 2,
        Admission.reservedOutputTokens(
            ApiKind.CHAT_COMPLETIONS, chat(Long.MAX_VALUE / 2, 2), TIER));
  }

  @Test
  void pricesSaturateInsteadOfFailing() {
    Pricing pricing =
        new Pricing(
            Map.of(
                "m", new ModelConfig("m", null, new BigDecimal("30"), null, new BigDecimal("60"))));
    assertEquals(30_000L + 120_000L, pricing.nanoUsd("m", 1, 0, 2));
    assertEquals(Long.MAX_VALUE, pricing.nanoUsd("m", 10, 0, Long.MAX_VALUE));
    assertEquals(Long.MAX_VALUE, pricing.nanoUsd("m", Long.MAX_VALUE / 2, 0, Long.MAX_VALUE / 2));
    assertEquals(Long.MAX_VALUE, pricing.nanoUsd("m", Long.MAX_VALUE, Long.MAX_VALUE / 3, 0));
  }
}
