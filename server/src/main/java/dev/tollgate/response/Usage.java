package dev.tollgate.response;

/**
 * What a response really used.
 *
 * @param inputTokens input tokens (cached included)
 * @param cachedInputTokens the cached part of the input
 * @param outputTokens output tokens (reasoning included)
 * @param reasoningTokens the reasoning part of the output
 * @param fromProvider true when the provider reported it; false when counted from the deltas
 */
public record Usage(
    long inputTokens,
    long cachedInputTokens,
    long outputTokens,
    long reasoningTokens,
    boolean fromProvider) {
  /** Input plus output. */
  public long totalTokens() {
    return inputTokens + outputTokens;
  }
}
