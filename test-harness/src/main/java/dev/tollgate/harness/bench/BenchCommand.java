package dev.tollgate.harness.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tollgate.harness.envoy.EmulatorSettings;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code ./tollgate bench}: loads Tollgate exactly as Envoy does (messages shaped from {@code
 * envoy/envoy-local.yaml}'s filter settings) and a no-op server on the same transport with the same
 * client, each server and the load generator in its own JVM with the same flags. Per case, after a
 * warm-up, it measures pairs of intervals (baseline and Tollgate alternating) and prints
 * requests/s, each server's CPU time per request and latency percentiles, the median ratio and its
 * spread, and Tollgate's latency at half its rate; case (e) loads one user at its limit on a
 * cluster.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Load Tollgate as Envoy does and compare it with a no-op gRPC server on the same transport.",
      "Cases: (a) Check with a 1 KiB chat body, (b) Check with a 100 KiB body, (c) Check then an ext_proc",
      "stream with a 20-chunk SSE answer, (d) conversations of 8-20 turns resending their history;",
      "each against a 1- and a 3-member Hazelcast cluster, in alternating baseline and Tollgate intervals.",
      "(e) contention: 3 members, every request for one user at its limit; admitted tokens vs the limit.",
      "The load generator, the no-op server and Tollgate each run in their own JVM with the same flags.",
      "The last line printed is `ratio <value>`: the median over the pairs of Tollgate's req/s over the",
      "baseline's for (a) on 1 member."
    })
public final class BenchCommand implements Callable<Integer> {
  /** Heap and GC flags of every process of a run unless {@code --jvm-flags} says otherwise. */
  static final String DEFAULT_JVM_FLAGS = "-Xms1g -Xmx1g -XX:+UseG1GC -XX:+AlwaysPreTouch";

  private static final Duration STARTUP = Duration.ofSeconds(180);
  private static final Duration QUIET_WINDOW = Duration.ofMillis(250);
  private static final Duration QUIET_MAX = Duration.ofSeconds(5);
  private static final Duration WARM_SEGMENT = Duration.ofSeconds(5);

  @Option(
      names = "--cases",
      split = ",",
      defaultValue = "a,b,c,d,e",
      paramLabel = "a,b,c,d,e",
      converter = CaseConverter.class,
      description = "cases to run (default: a,b,c,d,e; e is also called contention)")
  List<Workload> cases;

  @Option(
      names = "--members",
      split = ",",
      defaultValue = "1,3",
      paramLabel = "N,...",
      description =
          "Hazelcast cluster sizes for cases a-d (default: 1,3; 0: the in-memory store, for"
              + " comparison); case e always runs 3")
  List<Integer> members;

  @Option(
      names = "--in-flight",
      defaultValue = "32",
      paramLabel = "K",
      description = "concurrent requests at max load")
  int inFlight;

  @Option(
      names = "--connections",
      defaultValue = "2",
      paramLabel = "N",
      description = "HTTP/2 connections (Envoy opens about one per worker)")
  int connections;

  @Option(
      names = "--warmup",
      defaultValue = "20s",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "warm-up of each server on each case before its pairs (e.g. 5s, 500ms)")
  Duration warmup;

  @Option(
      names = {"--interval", "--duration"},
      defaultValue = "10s",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "each measured interval (default: 10s)")
  Duration interval;

  @Option(
      names = "--pairs",
      defaultValue = "3",
      paramLabel = "N",
      description = "baseline and Tollgate intervals per case, in alternating order (default: 3)")
  int pairs;

  @Option(
      names = "--persistence",
      defaultValue = "file",
      paramLabel = "file|none",
      description =
          "1 member: usage written behind to a file database in a temporary directory (file, the"
              + " default of a lone member) or not at all (none); a cluster runs with none")
  String persistence;

  @Option(
      names = "--leases",
      description =
          "run Tollgate with store.leases: true (hot keys admitted from slices of their budget)")
  boolean leases;

  @Option(
      names = "--contention-limit",
      defaultValue = "200000",
      paramLabel = "TOKENS",
      description = "case e: the user's token limit (default: 200000, about 400 requests)")
  long contentionLimit;

  @Option(
      names = "--jvm-flags",
      defaultValue = DEFAULT_JVM_FLAGS,
      paramLabel = "FLAGS",
      description =
          "heap and GC flags of every process of the run, both servers and the generator alike"
              + " (default: "
              + DEFAULT_JVM_FLAGS
              + ")")
  String jvmFlags;

  @Option(names = "--json", paramLabel = "PATH", description = "also write the results as JSON")
  Path json;

  @Option(
      names = "--root",
      paramLabel = "DIR",
      defaultValue = ".",
      description = "the repository (reads envoy/envoy-local.yaml)")
  Path root;

  @Spec CommandSpec spec;

  PrintStream out = System.out;

  /** One measured interval of the results. */
  record Row(Workload workload, int members, String server, String load, Measurement result) {}

  /** A server process the generator loads. */
  private record Server(String name, int port, ChildJvm jvm) {
    long pid() {
      return jvm.pid();
    }
  }

  @Override
  public Integer call() throws Exception {
    List<Workload> workloads = cases.stream().distinct().toList();
    List<Workload> paired = workloads.stream().filter(Workload::paired).toList();
    boolean contention = workloads.contains(Workload.E);
    validate();
    Path bootstrap = root.resolve("envoy/envoy-local.yaml");
    EmulatorSettings settings = EmulatorSettings.fromBootstrap(bootstrap);
    List<String> flags = Arrays.stream(jvmFlags.trim().split("\\s+")).toList();
    Duration settle = warmup.compareTo(Duration.ofSeconds(1)) < 0 ? warmup : Duration.ofSeconds(1);
    BenchReport report = new BenchReport(out);
    report.header(this, settings, flags, settle);

    List<Row> rows = new ArrayList<>();
    List<PairedCase> summaries = new ArrayList<>();
    ContentionResult contended = null;
    Path logs = Files.createTempDirectory("tollgate-bench-");
    boolean keepLogs = true;
    try (ChildJvm generator =
        ChildJvm.start(
            "generator",
            GeneratorProcess.class,
            flags,
            List.of(root.toAbsolutePath().toString()),
            logs)) {
      generator.await("ready", STARTUP);
      if (!paired.isEmpty()) {
        try (ChildJvm noopJvm = server("no-op", flags, List.of("noop"), logs)) {
          Server noop =
              new Server("no-op", Integer.parseInt(noopJvm.await("ready", STARTUP)), noopJvm);
          Set<Workload> noopWarm = EnumSet.noneOf(Workload.class);
          for (int n : members) {
            List<String> args =
                List.of(
                    "tollgate",
                    Integer.toString(n),
                    persistence,
                    Long.toString(BenchTarget.UNREACHED),
                    leases ? "leases" : "exact");
            for (Workload w : paired) {
              // a Tollgate per case: what one case leaves (case (a)'s reservations, never
              // settled, held for pending_ttl) must not weigh on the next
              try (ChildJvm tollgateJvm = server("tollgate-" + n, flags, args, logs)) {
                Server tollgate =
                    new Server(
                        "tollgate",
                        Integer.parseInt(tollgateJvm.await("ready", STARTUP)),
                        tollgateJvm);
                if (noopWarm.add(w)) {
                  warm(generator, w, noop);
                }
                warm(generator, w, tollgate);
                summaries.add(pairs(generator, w, n, noop, tollgate, settle, report, rows));
              }
            }
          }
        }
      }
      if (contention) {
        contended = contention(generator, flags, logs);
        rows.add(
            report.row(new Row(Workload.E, 3, "tollgate", "max, 1 user", contended.measurement())));
      }
      keepLogs = false;
    } finally {
      if (keepLogs) {
        out.println("the processes' logs are in " + logs);
      } else {
        delete(logs);
      }
    }

    out.println();
    summaries.forEach(report::summary);
    if (contended != null) {
      report.contention(contended);
    }
    PairedCase headline =
        summaries.stream()
            .filter(s -> s.workload() == Workload.A && s.members() == 1)
            .findFirst()
            .orElse(null);
    List<Row> compared = rows.stream().filter(r -> r.workload.paired()).toList();
    compared.stream()
        .filter(r -> r.result.firstError() != null)
        .forEach(
            r ->
                out.printf(
                    Locale.ROOT,
                    "errors in (%s) %s %s: first was: %s%n",
                    r.workload.id,
                    r.server,
                    r.load,
                    r.result.firstError()));
    if (json != null) {
      new BenchJson(new ObjectMapper())
          .write(json, this, settings, flags, settle, rows, summaries, contended, headline);
      out.println("wrote " + json);
    }
    if (headline != null) {
      out.printf(Locale.ROOT, "ratio %.3f%n", headline.ratio());
    }
    long errors = compared.stream().mapToLong(r -> r.result.errors()).sum();
    return errors == 0 && (contended == null || !contended.overLimit()) ? 0 : 1;
  }

  /**
   * One case on one cluster size: {@code --pairs} pairs of intervals in alternating order, then
   * Tollgate at half its median rate; every interval printed and added to {@code rows}.
   */
  private PairedCase pairs(
      ChildJvm generator,
      Workload w,
      int members,
      Server noop,
      Server tollgate,
      Duration settle,
      BenchReport report,
      List<Row> rows)
      throws IOException, InterruptedException {
    List<Measurement> b = new ArrayList<>();
    List<Measurement> t = new ArrayList<>();
    for (int i = 0; i < pairs; i++) {
      for (Server s :
          PairedCase.baselineFirst(i) ? List.of(noop, tollgate) : List.of(tollgate, noop)) {
        Measurement m = run(generator, w, s, settle, interval, 0);
        (s == noop ? b : t).add(m);
        rows.add(report.row(new Row(w, members, s.name, "max #" + (i + 1), m)));
      }
    }
    PairedCase pc = new PairedCase(w, members, b, t);
    double half = Math.max(1, pc.tollgatePerSecond() / 2);
    Duration halfWarmup =
        warmup.compareTo(Duration.ofSeconds(2)) < 0 ? warmup : Duration.ofSeconds(2);
    Measurement m = run(generator, w, tollgate, halfWarmup, interval, half);
    rows.add(
        report.row(
            new Row(w, members, "tollgate", String.format(Locale.ROOT, "half %,.0f/s", half), m)));
    return pc;
  }

  private void validate() {
    if (inFlight < 1
        || connections < 1
        || pairs < 1
        || contentionLimit < 1
        || members.stream().anyMatch(m -> m < 0 || m > 5)
        || interval.isZero()) {
      throw new ParameterException(
          spec.commandLine(),
          "--in-flight, --connections, --pairs and --contention-limit must be at least 1,"
              + " --members between 0 and 5, --interval above 0");
    }
    if (!persistence.equals("file") && !persistence.equals("none")) {
      throw new ParameterException(
          spec.commandLine(), "--persistence: '" + persistence + "' (expected: file or none)");
    }
    if (jvmFlags.isBlank()) {
      throw new ParameterException(
          spec.commandLine(), "--jvm-flags: empty (expected e.g. '" + DEFAULT_JVM_FLAGS + "')");
    }
    Path bootstrap = root.resolve("envoy/envoy-local.yaml");
    if (!Files.isRegularFile(bootstrap)) {
      throw new ParameterException(
          spec.commandLine(), bootstrap + " not found: run from the repository or pass --root");
    }
  }

  /**
   * Case (e): 3 members, the user's limit {@code --contention-limit}; warmed up on traffic spread
   * over all users (a few seconds: it measures admission, not speed), then every request of one
   * interval for one user.
   */
  private ContentionResult contention(ChildJvm generator, List<String> flags, Path logs)
      throws IOException, InterruptedException {
    List<String> args =
        List.of(
            "tollgate", "3", "none", Long.toString(contentionLimit), leases ? "leases" : "exact");
    try (ChildJvm jvm = server("tollgate-contention", flags, args, logs)) {
      Server s = new Server("tollgate", Integer.parseInt(jvm.await("ready", STARTUP)), jvm);
      Duration shortWarmup =
          warmup.compareTo(Duration.ofSeconds(5)) < 0 ? warmup : Duration.ofSeconds(5);
      run(generator, Workload.A, s, shortWarmup, Duration.ZERO, 0);
      Measurement m = run(generator, Workload.E, s, Duration.ZERO, interval, 0);
      jvm.send("usage " + Workload.CONTENDED_USER);
      long used = Long.parseLong(jvm.await("usage", Duration.ofSeconds(30)));
      return new ContentionResult(3, inFlight, contentionLimit, used, m);
    }
  }

  private static ChildJvm server(String name, List<String> flags, List<String> args, Path logs)
      throws IOException {
    return ChildJvm.start(name, ServerProcess.class, flags, args, logs);
  }

  /**
   * Warms a server up on a case: {@code --warmup}, then segments of a fifth of it (at least {@code
   * --interval}'s length if shorter) until the server's CPU per request holds within 5 % from one
   * segment to the next and its JIT compiler threads used under 5 % of its CPU in the segment, for
   * at most four times {@code --warmup} more: a compiler busy at a steady pace leaves the CPU per
   * request steady too, and on a busy machine its threads get less of the CPU, so a fixed warm-up
   * can end long before the code is compiled (with the database on, some paths run only every few
   * seconds and are compiled late).
   */
  private void warm(ChildJvm generator, Workload w, Server s)
      throws IOException, InterruptedException {
    run(generator, w, s, warmup, Duration.ZERO, 0);
    Duration segment = interval.compareTo(WARM_SEGMENT) < 0 ? interval : WARM_SEGMENT;
    Duration spent = Duration.ZERO;
    double before = Double.NaN;
    while (spent.compareTo(warmup.multipliedBy(4)) < 0) {
      long cpu0 = s.jvm.cpuNanos();
      long jit0 = s.jvm.compilerCpuNanos();
      double cpu = run(generator, w, s, Duration.ZERO, segment, 0).serverCpuMicrosPerRequest();
      long cpuUsed = s.jvm.cpuNanos() - cpu0;
      long jitUsed = s.jvm.compilerCpuNanos() - jit0;
      boolean compiled = jit0 < 0 || cpu0 < 0 || jitUsed < 0.05 * cpuUsed;
      if (Math.abs(cpu - before) <= 0.05 * before && compiled) {
        return;
      }
      before = cpu;
      spent = spent.plus(segment);
    }
  }

  /** One interval: closed loop at {@code --in-flight}, or an open loop at {@code rate} if > 0. */
  private Measurement run(
      ChildJvm generator, Workload w, Server s, Duration settle, Duration measured, double rate)
      throws IOException, InterruptedException {
    IntervalSpec is =
        new IntervalSpec(
            w.id,
            s.port,
            s.pid(),
            rate > 0,
            rate,
            inFlight,
            connections,
            settle.toMillis(),
            measured.toMillis());
    generator.send(new ObjectMapper().writeValueAsString(is));
    String result = generator.await("result", settle.plus(measured).plus(Duration.ofSeconds(90)));
    Measurement m = new ObjectMapper().readValue(result, Measurement.class);
    awaitQuiet(s.jvm, interval.compareTo(QUIET_MAX) < 0 ? interval : QUIET_MAX);
    return m;
  }

  /**
   * Waits (up to {@code max}) until the server just loaded uses less than a tenth of a core, so
   * that its deferred work (the write-behind of usage, a GC, JIT compilations) does not fall into
   * the other server's interval.
   */
  private static void awaitQuiet(ChildJvm server, Duration max) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    long before = server.cpuNanos();
    while (before >= 0 && System.nanoTime() < deadline) {
      Thread.sleep(QUIET_WINDOW.toMillis());
      long after = server.cpuNanos();
      if (after - before < QUIET_WINDOW.toNanos() / 10) {
        return;
      }
      before = after;
    }
  }

  private static void delete(Path dir) {
    try (var files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory: left for the system to clean
    }
  }

  static String text(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }

  /** {@code a} ... {@code e}, or {@code contention}. */
  static final class CaseConverter implements ITypeConverter<Workload> {
    @Override
    public Workload convert(String value) {
      try {
        return Workload.of(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  /** {@code 10s}, {@code 500ms}, {@code 2m}. */
  static final class DurationConverter implements ITypeConverter<Duration> {
    private static final Pattern P = Pattern.compile("([0-9]+)(ms|s|m)");

    @Override
    public Duration convert(String value) {
      Matcher m = P.matcher(value.trim());
      if (!m.matches()) {
        throw new TypeConversionException(
            "'" + value + "' is not a duration (expected e.g. 500ms, 10s, 2m)");
      }
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        default -> Duration.ofMinutes(n);
      };
    }
  }
}
