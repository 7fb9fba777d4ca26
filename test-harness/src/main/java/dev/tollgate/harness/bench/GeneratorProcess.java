package dev.tollgate.harness.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.tollgate.harness.envoy.EmulatorSettings;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The load generator in its own JVM (as Envoy is its own process), so that neither server shares
 * its CPU accounting or its JIT and GC with the client. Argument: the repository (reads {@code
 * envoy/envoy-local.yaml}). Reads one {@link IntervalSpec} per line as JSON on stdin, runs it,
 * answers {@code @bench result} and the {@link Measurement} as JSON; exits when stdin closes.
 */
public final class GeneratorProcess {
  /** The seed of every body: the same traffic in every run. */
  static final long SEED = 20261129;

  private final ObjectMapper json = new ObjectMapper();
  private final EmulatorSettings settings;
  private final List<ByteString> sse = Workload.sseChunks();
  private final Map<Workload, Traffic> traffic = new EnumMap<>(Workload.class);
  private final Map<Integer, List<ManagedChannel>> channels = new HashMap<>();
  private final Map<String, LoadGenerator.Cycle> cycles = new HashMap<>();

  private GeneratorProcess(EmulatorSettings settings) {
    this.settings = settings;
  }

  /** Entry point: {@code ROOT}. */
  public static void main(String[] args) throws Exception {
    GeneratorProcess g;
    try {
      g =
          new GeneratorProcess(
              EmulatorSettings.fromBootstrap(Path.of(args[0]).resolve("envoy/envoy-local.yaml")));
    } catch (Exception e) {
      reply("failed " + e);
      System.exit(1);
      return;
    }
    reply("ready");
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      try {
        IntervalSpec spec = g.json.readValue(line, IntervalSpec.class);
        reply("result " + g.json.writeValueAsString(Measurement.of(g.run(spec))));
      } catch (Exception e) {
        e.printStackTrace();
        reply("failed " + e);
      }
    }
    g.close();
    System.exit(0);
  }

  private LoadGenerator.Result run(IntervalSpec spec) throws InterruptedException {
    Workload w = Workload.of(spec.workload());
    LoadGenerator.Cycle cycle =
        cycles.computeIfAbsent(
            spec.port() + "/" + w.id,
            k ->
                new EnvoyCycles(
                        settings,
                        channels.computeIfAbsent(spec.port(), p -> connect(p, spec.connections())),
                        BenchTarget.SERVICE_KEY)
                    .cycle(w, traffic.computeIfAbsent(w, x -> x.traffic(SEED)), sse));
    LongSupplier serverCpu = () -> cpuNanos(spec.serverPid());
    Duration settle = Duration.ofMillis(spec.settleMillis());
    Duration interval = Duration.ofMillis(spec.millis());
    return spec.openLoop()
        ? LoadGenerator.openLoop(
            cycle, spec.rate(), 20 * spec.inFlight(), settle, interval, serverCpu)
        : LoadGenerator.closedLoop(cycle, spec.inFlight(), settle, interval, serverCpu);
  }

  /**
   * A process's CPU time so far, in nanoseconds ({@code /proc/PID/stat} on Linux); -1 if unknown.
   */
  static long cpuNanos(long pid) {
    return ProcessHandle.of(pid)
        .flatMap(p -> p.info().totalCpuDuration())
        .map(Duration::toNanos)
        .orElse(-1L);
  }

  /** N HTTP/2 connections to one server, callbacks on the transport threads. */
  private static List<ManagedChannel> connect(int port, int n) {
    List<ManagedChannel> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ManagedChannel ch =
          NettyChannelBuilder.forAddress("127.0.0.1", port)
              .usePlaintext()
              .directExecutor()
              .maxInboundMessageSize(16 << 20)
              .build();
      ch.getState(true);
      out.add(ch);
    }
    return out;
  }

  private void close() throws InterruptedException {
    for (List<ManagedChannel> list : channels.values()) {
      for (ManagedChannel c : list) {
        c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  private static void reply(String line) {
    System.out.println(ChildJvm.PREFIX + line);
    System.out.flush();
  }
}
