package dev.tollgate.harness.bench;

import java.util.Map;

/**
 * What one measured interval saw, as the generator's process reports it to the parent.
 *
 * @param ok requests that succeeded
 * @param errors requests that failed (denied, past their deadline, or not sent because the server
 *     fell behind an open loop)
 * @param seconds the interval's length
 * @param serverCpuNanos the server process's CPU time over the interval; -1 if unknown
 * @param generatorCpuNanos the generator process's CPU time over the interval; -1 if unknown
 * @param failures failed requests by kind ({@code HTTP 429}, {@code HTTP 503}, ...)
 * @param firstError the first failure's description, or null
 */
record Measurement(
    long ok,
    long errors,
    double seconds,
    double p50Us,
    double p99Us,
    double p999Us,
    double maxUs,
    long serverCpuNanos,
    long generatorCpuNanos,
    Map<String, Long> failures,
    String firstError) {

  static Measurement of(LoadGenerator.Result r) {
    return new Measurement(
        r.ok(),
        r.errors(),
        r.seconds(),
        r.micros(50),
        r.micros(99),
        r.micros(99.9),
        r.latency().getTotalCount() == 0 ? 0 : r.latency().getMaxValue() / 1e3,
        r.serverCpuNanos(),
        r.generatorCpuNanos(),
        r.failures(),
        r.firstError());
  }

  double perSecond() {
    return ok / seconds;
  }

  /** The server's CPU time per successful request, in µs; NaN if unknown or none succeeded. */
  double serverCpuMicrosPerRequest() {
    return serverCpuNanos < 0 || ok == 0 ? Double.NaN : serverCpuNanos / 1e3 / ok;
  }

  /** The generator's CPU time per successful request, in µs; NaN if unknown or none succeeded. */
  double generatorCpuMicrosPerRequest() {
    return generatorCpuNanos < 0 || ok == 0 ? Double.NaN : generatorCpuNanos / 1e3 / ok;
  }

  /** Failures of one kind. */
  long failures(String kind) {
    return failures == null ? 0 : failures.getOrDefault(kind, 0L);
  }
}
