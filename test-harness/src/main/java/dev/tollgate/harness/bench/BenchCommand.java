package dev.tollgate.harness.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.google.protobuf.ByteString;
import dev.tollgate.Tollgate;
import dev.tollgate.harness.envoy.EmulatorSettings;
import dev.tollgate.testsupport.FreePorts;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
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
 * envoy/envoy-local.yaml}'s filter settings) and, in the same run, a no-op server on the same
 * transport with the same client, then prints requests/s and latency percentiles for both, their
 * ratio, and Tollgate's latency at half its maximum rate.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Load Tollgate as Envoy does and compare it with a no-op gRPC server on the same transport.",
      "Cases: (a) Check with a 1 KiB chat body, (b) Check with a 100 KiB body, (c) Check then an ext_proc",
      "stream with a 20-chunk SSE answer; each against a 1- and a 3-member Hazelcast cluster.",
      "The last line printed is `ratio <value>`: Tollgate's req/s over the baseline's for (a) on 1 member."
    })
public final class BenchCommand implements Callable<Integer> {
  @Option(
      names = "--cases",
      split = ",",
      defaultValue = "a,b,c",
      paramLabel = "a,b,c",
      converter = CaseConverter.class,
      description = "cases to run (default: a,b,c)")
  List<Workload> cases;

  @Option(
      names = "--members",
      split = ",",
      defaultValue = "1,3",
      paramLabel = "N,...",
      description =
          "Hazelcast cluster sizes (default: 1,3; 0: the in-memory store, for comparison)")
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
      description = "warm-up before each measured interval (e.g. 5s, 500ms)")
  Duration warmup;

  @Option(
      names = "--duration",
      defaultValue = "10s",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "each measured interval")
  Duration duration;

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

  /** One row of the results. */
  record Row(
      Workload workload, String server, int members, String load, LoadGenerator.Result result) {}

  @Override
  public Integer call() throws Exception {
    List<Workload> workloads = cases.stream().distinct().toList();
    if (inFlight < 1
        || connections < 1
        || members.stream().anyMatch(m -> m < 0 || m > 5)
        || duration.isZero()) {
      throw new ParameterException(
          spec.commandLine(),
          "--in-flight and --connections must be at least 1, --members between 0 and 5, --duration above 0");
    }
    Path bootstrap = root.resolve("envoy/envoy-local.yaml");
    if (!Files.isRegularFile(bootstrap)) {
      throw new ParameterException(
          spec.commandLine(), bootstrap + " not found: run from the repository or pass --root");
    }
    EmulatorSettings settings = EmulatorSettings.fromBootstrap(bootstrap);
    Map<Workload, List<ByteString>> bodies = new EnumMap<>(Workload.class);
    workloads.forEach(w -> bodies.put(w, w.bodies(20261129)));
    List<ByteString> sse = Workload.sseChunks();

    out.printf(
        Locale.ROOT,
        "tollgate bench: %d cores, Java %s, %d in flight over %d connections, warm-up %s, %s per run%n",
        Runtime.getRuntime().availableProcessors(),
        Runtime.version(),
        inFlight,
        connections,
        text(warmup),
        text(duration));
    out.printf(
        Locale.ROOT,
        "check timeout %s (as Envoy's grpc_service.timeout); every body different; %d users%n",
        text(settings.checkTimeout()),
        Workload.USERS);
    out.println();
    out.printf(
        Locale.ROOT,
        "%-34s %-7s %-9s %-12s %10s %9s %9s %9s %7s%n",
        "case",
        "members",
        "server",
        "load",
        "req/s",
        "p50 µs",
        "p99 µs",
        "p99.9 µs",
        "errors");

    List<Row> rows = new ArrayList<>();
    Map<Workload, LoadGenerator.Result> baseline = new EnumMap<>(Workload.class);
    try (NoopServer noop =
        NoopServer.start(
            Tollgate.netty(BenchTarget.serverConfig(), FreePorts.anyPort()),
            Tollgate.grpcExecutor())) {
      try (Clients c = new Clients(noop.port(), connections)) {
        EnvoyCycles cycles = new EnvoyCycles(settings, c.channels, BenchTarget.SERVICE_KEY);
        for (Workload w : workloads) {
          LoadGenerator.Result r =
              LoadGenerator.closedLoop(
                  cycles.cycle(w, bodies.get(w), sse), inFlight, warmup, duration);
          baseline.put(w, r);
          rows.add(print(new Row(w, "no-op", -1, "max", r)));
        }
      }
    }
    for (int n : members) {
      try (BenchTarget target = BenchTarget.start(n);
          Clients c = new Clients(target.grpcPort(), connections)) {
        EnvoyCycles cycles = new EnvoyCycles(settings, c.channels, BenchTarget.SERVICE_KEY);
        for (Workload w : workloads) {
          LoadGenerator.Cycle cycle = cycles.cycle(w, bodies.get(w), sse);
          LoadGenerator.Result max = LoadGenerator.closedLoop(cycle, inFlight, warmup, duration);
          rows.add(print(new Row(w, "tollgate", n, "max", max)));
          double half = Math.max(1, max.perSecond() / 2);
          LoadGenerator.Result r =
              LoadGenerator.openLoop(
                  cycle,
                  half,
                  20 * inFlight,
                  Duration.ofMillis(Math.min(2000, warmup.toMillis())),
                  duration);
          rows.add(
              print(
                  new Row(w, "tollgate", n, String.format(Locale.ROOT, "half %,.0f/s", half), r)));
        }
      }
    }

    out.println();
    Double headline = null;
    List<Map<String, Object>> ratios = new ArrayList<>();
    for (Row row : rows) {
      if (row.server.equals("tollgate") && row.load.equals("max")) {
        double ratio = row.result.perSecond() / baseline.get(row.workload).perSecond();
        out.printf(
            Locale.ROOT,
            "(%s) %d member%s: Tollgate does %.1f%% of the no-op baseline's requests/s%n",
            row.workload.id,
            row.members,
            row.members == 1 ? "" : "s",
            100 * ratio);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("case", row.workload.id);
        m.put("members", row.members);
        m.put("ratio", round(ratio, 4));
        ratios.add(m);
        if (row.workload == Workload.A && row.members == 1) {
          headline = ratio;
        }
      }
    }
    long errors = rows.stream().mapToLong(r -> r.result.errors()).sum();
    rows.stream()
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
      writeJson(rows, ratios, headline, settings);
      out.println("wrote " + json);
    }
    if (headline != null) {
      out.printf(Locale.ROOT, "ratio %.3f%n", headline);
    }
    return errors == 0 ? 0 : 1;
  }

  private Row print(Row row) {
    LoadGenerator.Result r = row.result;
    out.printf(
        Locale.ROOT,
        "%-34s %-7s %-9s %-12s %,10.0f %,9.0f %,9.0f %,9.0f %7d%n",
        "(" + row.workload.id + ") " + row.workload.title,
        row.members < 0 ? "-" : row.members == 0 ? "memory" : Integer.toString(row.members),
        row.server,
        row.load,
        r.perSecond(),
        r.micros(50),
        r.micros(99),
        r.micros(99.9),
        r.errors());
    out.flush();
    return row;
  }

  private void writeJson(
      List<Row> rows, List<Map<String, Object>> ratios, Double headline, EmulatorSettings settings)
      throws IOException {
    Map<String, Object> doc = new LinkedHashMap<>();
    Map<String, Object> setup = new LinkedHashMap<>();
    setup.put("cores", Runtime.getRuntime().availableProcessors());
    setup.put("java", Runtime.version().toString());
    setup.put("in_flight", inFlight);
    setup.put("connections", connections);
    setup.put("warmup_seconds", warmup.toMillis() / 1e3);
    setup.put("duration_seconds", duration.toMillis() / 1e3);
    setup.put("check_timeout_ms", settings.checkTimeout().toMillis());
    setup.put("users", Workload.USERS);
    setup.put("sse_chunks", Workload.CHUNKS);
    doc.put("setup", setup);
    List<Map<String, Object>> results = new ArrayList<>();
    for (Row row : rows) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("case", row.workload.id);
      m.put("title", row.workload.title);
      m.put("server", row.server);
      m.put("members", row.members);
      m.put("load", row.load);
      m.put("requests_per_second", round(row.result.perSecond(), 1));
      m.put("requests", row.result.ok());
      m.put("errors", row.result.errors());
      m.put("p50_us", round(row.result.micros(50), 1));
      m.put("p99_us", round(row.result.micros(99), 1));
      m.put("p999_us", round(row.result.micros(99.9), 1));
      m.put("max_us", round(row.result.latency().getMaxValue() / 1e3, 1));
      if (row.result.firstError() != null) {
        m.put("first_error", row.result.firstError());
      }
      results.add(m);
    }
    doc.put("results", results);
    doc.put("ratios", ratios);
    doc.put("ratio", headline == null ? null : round(headline, 4));
    if (json.toAbsolutePath().getParent() != null) {
      Files.createDirectories(json.toAbsolutePath().getParent());
    }
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), doc);
  }

  private static double round(double v, int digits) {
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }

  private static String text(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }

  /** The client side: N HTTP/2 connections to one server, callbacks on the transport threads. */
  private static final class Clients implements AutoCloseable {
    final List<ManagedChannel> channels = new ArrayList<>();

    Clients(int port, int n) {
      for (int i = 0; i < n; i++) {
        ManagedChannel ch =
            NettyChannelBuilder.forAddress("127.0.0.1", port)
                .usePlaintext()
                .directExecutor()
                .maxInboundMessageSize(16 << 20)
                .build();
        ch.getState(true);
        channels.add(ch);
      }
    }

    @Override
    public void close() throws InterruptedException {
      for (ManagedChannel c : channels) {
        c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  /** {@code a}, {@code b} or {@code c}. */
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
