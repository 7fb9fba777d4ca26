package dev.tollgate.analytics;

/**
 * The sums the advice on one limit is made of: the usage (tokens or nano-USD, the limit's unit) and
 * requests of each subject (user, service key, or the whole tier) in each of the limit's periods,
 * and the tier's totals over them (for the price of a token).
 *
 * @param subjects subjects with rows in the periods
 * @param periods the limit's periods
 * @param usage by cell {@code subject × periods + period} (the array is the record's, not copied)
 * @param requests by cell, same layout
 * @param allTokens input + output tokens over every subject and period
 * @param allNanoUsd nano-USD over every subject and period
 */
public record AdviceSums(
    int subjects, int periods, long[] usage, long[] requests, long allTokens, long allNanoUsd) {
  public AdviceSums {
    if (subjects < 0
        || periods < 1
        || usage.length < (long) subjects * periods
        || requests.length < (long) subjects * periods) {
      throw new IllegalArgumentException(
          "cells: " + subjects + " subject(s) × " + periods + " period(s) beyond the arrays");
    }
  }
}
