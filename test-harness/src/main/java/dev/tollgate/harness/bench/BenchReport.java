package dev.tollgate.harness.bench;

import dev.tollgate.harness.envoy.EmulatorSettings;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/** What {@code ./tollgate bench} prints: the setup, one row per interval, the summaries. */
final class BenchReport {
  private static final String ROW = "%-35s %-7s %-9s %-12s %10s %9s %9s %9s %9s %7s%n";

  private final PrintStream out;

  BenchReport(PrintStream out) {
    this.out = out;
  }

  void header(BenchCommand c, EmulatorSettings settings, List<String> flags, Duration settle) {
    out.printf(
        Locale.ROOT,
        "tollgate bench: %d cores, Java %s, %d in flight over %d connections%n",
        Runtime.getRuntime().availableProcessors(),
        Runtime.version(),
        c.inFlight,
        c.connections);
    out.printf(
        Locale.ROOT,
        "processes: the load generator, the no-op server and Tollgate each in its own JVM (Tollgate's"
            + " other Hazelcast members in Tollgate's; a new Tollgate for each case), all with: %s%n",
        String.join(" ", flags));
    out.printf(
        Locale.ROOT,
        "per case: warm-up %s on each server (and on until its CPU per request holds within 5%%"
            + " and its JIT compiler is nearly idle, for at most four times as long), then %d pair%s of %s intervals, baseline and Tollgate"
            + " alternating (B T, T B, ...; %s of load before each, not counted; after each, the"
            + " server left to go quiet), then Tollgate at half its median rate%n",
        BenchCommand.text(c.warmup),
        c.pairs,
        c.pairs == 1 ? "" : "s",
        BenchCommand.text(c.interval),
        BenchCommand.text(settle));
    out.printf(
        Locale.ROOT,
        "check timeout %s (as Envoy's grpc_service.timeout); every body different; %d users;"
            + " persistence on 1 member: %s; leases: %s%n",
        BenchCommand.text(settings.checkTimeout()),
        Workload.USERS,
        c.persistence.equals("file") ? "file (write_delay 2s)" : "none",
        c.leases ? "on" : "off");
    out.println(
        "CPU µs/req: the server process's CPU time (all threads, user + system) over the interval"
            + " ÷ its requests");
    out.println();
    out.printf(
        Locale.ROOT,
        ROW,
        "case",
        "members",
        "server",
        "load",
        "req/s",
        "CPU µs/req",
        "p50 µs",
        "p99 µs",
        "p99.9 µs",
        "errors");
    out.flush();
  }

  BenchCommand.Row row(BenchCommand.Row row) {
    Measurement r = row.result();
    double cpu = r.serverCpuMicrosPerRequest();
    out.printf(
        Locale.ROOT,
        ROW,
        "(" + row.workload().id + ") " + row.workload().title,
        row.server().equals("no-op")
            ? "-"
            : row.members() == 0 ? "memory" : Integer.toString(row.members()),
        row.server(),
        row.load(),
        String.format(Locale.ROOT, "%,.0f", r.perSecond()),
        number("%,.1f", cpu),
        String.format(Locale.ROOT, "%,.0f", r.p50Us()),
        String.format(Locale.ROOT, "%,.0f", r.p99Us()),
        String.format(Locale.ROOT, "%,.0f", r.p999Us()),
        Long.toString(r.errors()));
    out.flush();
    return row;
  }

  void summary(PairedCase c) {
    out.printf(
        Locale.ROOT,
        "(%s) %d member%s: CPU per request %s µs (no-op %s µs, %s×); Tollgate does %s%% of the no-op"
            + " baseline's requests/s (median req/s %s vs %s; median of %d pair%s, %s–%s%%, ±%s%%)%n",
        c.workload().id,
        c.members(),
        c.members() == 1 ? "" : "s",
        number("%,.1f", c.tollgateCpuMicros()),
        number("%,.1f", c.baselineCpuMicros()),
        number("%.1f", c.tollgateCpuMicros() / c.baselineCpuMicros()),
        number("%.1f", 100 * c.ratio()),
        number("%,.0f", c.tollgatePerSecond()),
        number("%,.0f", c.baselinePerSecond()),
        c.baseline().size(),
        c.baseline().size() == 1 ? "" : "s",
        number("%.1f", 100 * c.ratioMin()),
        number("%.1f", 100 * c.ratioMax()),
        number("%.1f", c.ratioSpreadPercent()));
  }

  /** {@code v} in {@code format}, or {@code -} when unknown (an interval without requests). */
  static String number(String format, double v) {
    return Double.isNaN(v) || Double.isInfinite(v) ? "-" : String.format(Locale.ROOT, format, v);
  }

  void contention(ContentionResult c) {
    out.printf(
        Locale.ROOT,
        "(e) %d members, %d in flight, every request for one user: admitted %,d tokens of its limit"
            + " %,d (%,d requests allowed); 429: %,d, 503: %,d, past the Check timeout: %,d, other"
            + " failures: %,d%s%n",
        c.members(),
        c.inFlight(),
        c.admittedTokens(),
        c.limitTokens(),
        c.measurement().ok(),
        c.refused429(),
        c.refused503(),
        c.pastTimeout(),
        c.otherFailures(),
        c.overLimit()
            ? String.format(
                Locale.ROOT,
                " — OVER THE LIMIT by %,d tokens",
                c.admittedTokens() - c.limitTokens())
            : "");
  }
}
