package dev.tollgate.harness.bench;

/**
 * Case (e): many requests in flight for one user whose limit is near, against a cluster. What
 * Tollgate admitted (the tokens charged to the user, reservations included) must not exceed the
 * limit; the refusals are counted by status.
 *
 * @param members the Hazelcast cluster's size
 * @param inFlight requests in flight
 * @param limitTokens the user's token limit (5-minute and 1-day windows)
 * @param admittedTokens the user's usage after the run, reservations included
 * @param measurement the generator's view of the interval: allowed requests, failures by kind
 */
record ContentionResult(
    int members, int inFlight, long limitTokens, long admittedTokens, Measurement measurement) {

  boolean overLimit() {
    return admittedTokens > limitTokens;
  }

  long refused429() {
    return measurement.failures("HTTP 429");
  }

  long refused503() {
    return measurement.failures("HTTP 503");
  }

  /**
   * Checks not answered within Envoy's Check timeout (Envoy then refuses the request; Tollgate may
   * still have admitted it).
   */
  long pastTimeout() {
    return measurement.failures("DEADLINE_EXCEEDED");
  }

  /** Failures other than a 429, a 503 or the Check timeout. */
  long otherFailures() {
    return measurement.errors() - refused429() - refused503() - pastTimeout();
  }
}
