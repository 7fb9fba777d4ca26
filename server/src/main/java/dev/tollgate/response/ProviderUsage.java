package dev.tollgate.response;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The provider's {@code usage} object, checked before it is believed: every count must be a
 * non-negative JSON integer (a string, a fraction, a negative number or a wrong type refuses the
 * whole usage); counts past {@link #MAX_TOKENS} (past a long included) are clamped to it; a cached
 * part larger than the input, or a reasoning part larger than the output, is clamped to it.
 */
final class ProviderUsage {
  /** The most tokens one response is believed to use; far above any context window. */
  static final long MAX_TOKENS = 1_000_000_000L;

  /** The outcome: a usage (maybe clamped), refused, or none reported (null usage, not refused). */
  record Checked(Usage usage, boolean refused, boolean clamped) {}

  private static final Checked ABSENT = new Checked(null, false, false);
  private static final Checked REFUSED = new Checked(null, true, false);

  private boolean refused;
  private boolean clamped;

  private ProviderUsage() {}

  /** Checks a {@code usage} value of chat/completions/embeddings or Responses shape. */
  static Checked check(JsonNode u) {
    if (u == null || u.isNull() || u.isMissingNode()) {
      return ABSENT;
    }
    if (!u.isObject()) {
      return REFUSED;
    }
    boolean responses = u.has("input_tokens") || u.has("output_tokens");
    if (!responses && !u.has("prompt_tokens")) {
      return ABSENT;
    }
    String in = responses ? "input_tokens" : "prompt_tokens";
    String out = responses ? "output_tokens" : "completion_tokens";
    ProviderUsage c = new ProviderUsage();
    JsonNode inNode = u.get(in);
    if (inNode != null && inNode.isNull()) {
      return REFUSED;
    }
    long input = c.count(inNode);
    long cached = c.count(c.detail(u.get(in + "_details"), "cached_tokens"));
    long output = c.count(u.get(out));
    long reasoning = c.count(c.detail(u.get(out + "_details"), "reasoning_tokens"));
    if (c.refused) {
      return REFUSED;
    }
    if (cached > input) {
      cached = input;
      c.clamped = true;
    }
    if (reasoning > output) {
      reasoning = output;
      c.clamped = true;
    }
    return new Checked(new Usage(input, cached, output, reasoning, true), false, c.clamped);
  }

  private JsonNode detail(JsonNode details, String field) {
    if (details == null || details.isNull()) {
      return null;
    }
    if (!details.isObject()) {
      refused = true;
      return null;
    }
    return details.get(field);
  }

  /** A count: missing or null is 0. */
  private long count(JsonNode n) {
    if (n == null || n.isNull()) {
      return 0;
    }
    if (!n.isIntegralNumber()) {
      refused = true;
      return 0;
    }
    if (n.isBigInteger() && n.bigIntegerValue().bitLength() > 62) {
      if (n.bigIntegerValue().signum() < 0) {
        refused = true;
        return 0;
      }
      clamped = true;
      return MAX_TOKENS;
    }
    long v = n.longValue();
    if (v < 0) {
      refused = true;
      return 0;
    }
    if (v > MAX_TOKENS) {
      clamped = true;
      return MAX_TOKENS;
    }
    return v;
  }
}
