package dev.tollgate.analytics;

/**
 * One user's totals over a range.
 *
 * @param tokens input + output tokens
 * @param nanoUsd money, nano-USD
 * @param refusals quota refusals, every limit
 */
public record UserTotal(String user, long requests, long tokens, long nanoUsd, long refusals) {}
