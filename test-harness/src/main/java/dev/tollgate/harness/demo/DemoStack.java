package dev.tollgate.harness.demo;

import dev.tollgate.Tollgate;
import dev.tollgate.auth.ServiceKeys;
import dev.tollgate.config.LimitConfig;
import dev.tollgate.config.Role;
import dev.tollgate.config.Secret;
import dev.tollgate.config.ServerConfig;
import dev.tollgate.config.ServiceKeyConfig;
import dev.tollgate.config.StoreConfig;
import dev.tollgate.config.TierConfig;
import dev.tollgate.config.TollgateConfig;
import dev.tollgate.config.UpstreamConfig;
import dev.tollgate.harness.envoy.EmulatorSettings;
import dev.tollgate.harness.envoy.EnvoyEmulator;
import dev.tollgate.harness.upstream.MockOpenAi;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.QuotaStore;
import dev.tollgate.quota.Scope;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.Window;
import dev.tollgate.testsupport.FreePorts;
import dev.tollgate.tokens.Encodings;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The demo's processes in one JVM, all on 127.0.0.1: the mock OpenAI upstream (unless a real one is
 * given), Tollgate with an embedded Hazelcast member of its own, and the Envoy emulator with the
 * filters of {@code envoy/envoy-local.yaml}. Closing it stops everything.
 */
final class DemoStack implements AutoCloseable {
  /** The user limit the demo adds, so that a user runs out of quota within a few calls. */
  static final Limit DEMO_LIMIT = new Limit(Window.parse("1m"), Unit.TOKENS, 150);

  /**
   * The cluster name of the demo's Hazelcast member (never the one {@code ./tollgate serve} uses).
   */
  static final String CLUSTER = "tollgate-demo";

  /**
   * Envoy's 250 ms check and 200 ms message timeouts, raised for a JVM that has just started: the
   * demo shows Tollgate's answers, not its first-call latency.
   */
  static final Duration TIMEOUT = Duration.ofSeconds(2);

  /**
   * {@code store.deadline_ms} for the demo (150 ms in server/tollgate.yaml), below {@link
   * #TIMEOUT}, for the same reason.
   */
  static final Duration STORE_DEADLINE = Duration.ofSeconds(1);

  /** The name of the demo's admin key (a random one per run, for the admin API). */
  static final String ADMIN_KEY_NAME = "demo-admin";

  private static final String LOOPBACK = "127.0.0.1";

  private final List<AutoCloseable> started = new ArrayList<>();
  private MockOpenAi mock;
  private Tollgate tollgate;
  private ManagedChannel channel;
  private EnvoyEmulator envoy;
  private TollgateConfig config;
  private int hazelcastPort;
  private URI upstream;
  private final CheckRecorder checks = new CheckRecorder();
  private String adminKey;

  private DemoStack() {}

  /**
   * Starts everything.
   *
   * @param base the configuration the demo's is derived from ({@code server/tollgate.yaml})
   * @param envoyBootstrap the bootstrap whose filters the emulator follows ({@code
   *     envoy/envoy-local.yaml})
   * @param realUpstream a real OpenAI-compatible upstream, or null for the mock
   * @param realKey the real upstream's key (with {@code realUpstream})
   */
  static DemoStack start(TollgateConfig base, Path envoyBootstrap, URI realUpstream, String realKey)
      throws IOException {
    DemoStack s = new DemoStack();
    try {
      s.startAll(base, envoyBootstrap, realUpstream, realKey);
      return s;
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  private void startAll(TollgateConfig base, Path envoyBootstrap, URI realUpstream, String realKey)
      throws IOException {
    EmulatorSettings settings =
        EmulatorSettings.fromBootstrap(envoyBootstrap).withTimeouts(TIMEOUT, TIMEOUT);
    // the tokenizers (a few seconds of CPU) load while the Hazelcast member starts
    CompletableFuture<Encodings> encodings =
        CompletableFuture.supplyAsync(
            Encodings::new, runnable -> daemon("tollgate-demo-tokenizers", runnable).start());
    byte[] random = new byte[12];
    new SecureRandom().nextBytes(random);
    String upstreamKey =
        realUpstream == null ? "sk-demo-upstream-" + HexFormat.of().formatHex(random) : realKey;
    hazelcastPort = FreePorts.freeRange(1);
    byte[] adminRandom = new byte[16];
    new SecureRandom().nextBytes(adminRandom);
    adminKey = "tollgate-demo-admin-" + HexFormat.of().formatHex(adminRandom);
    config =
        demoConfig(
            base,
            new Secret(upstreamKey, realUpstream == null ? "the demo" : "env OPENAI_API_KEY"),
            hazelcastPort,
            adminKey);
    QuotaStore store = Tollgate.openStore(config);
    ExecutorService executor =
        Executors.newFixedThreadPool(2, r -> daemon("tollgate-demo-grpc", r));
    try {
      Encodings shared = encodings.join();
      if (realUpstream == null) {
        mock = MockOpenAi.start(0, upstreamKey, shared);
        started.add(mock);
        upstream = URI.create("http://127.0.0.1:" + mock.port());
      } else {
        upstream = realUpstream;
      }
      tollgate =
          Tollgate.start(
              config,
              Tollgate.netty(config.server(), FreePorts.anyPort()).executor(executor),
              executor,
              true,
              Clock.systemUTC(),
              store,
              shared);
    } catch (IOException | RuntimeException e) {
      store.close();
      executor.shutdownNow();
      throw e;
    }
    started.add(tollgate);
    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", tollgate.grpcPort())
            .usePlaintext()
            .maxInboundMessageSize(config.server().maxInboundMessageBytes())
            .intercept(checks)
            .build();
    started.add(
        () -> {
          channel.shutdownNow();
          channel.awaitTermination(2, TimeUnit.SECONDS);
        });
    envoy = EnvoyEmulator.start(0, settings, channel, upstream);
    started.add(envoy);
  }

  /**
   * {@code server/tollgate.yaml} as the demo runs it: the given upstream key; gRPC on any free
   * port, the HTTP endpoints (metrics, health, dashboard) on any free port of 127.0.0.1; a
   * Hazelcast member of its own (cluster {@value #CLUSTER}, on a free port, no peers, no backups,
   * {@link #STORE_DEADLINE}); {@link #DEMO_LIMIT} added to every tier; and an admin key {@value
   * #ADMIN_KEY_NAME} (for the usage report), unless {@code adminKey} is null.
   */
  static TollgateConfig demoConfig(
      TollgateConfig base, Secret upstreamKey, int hazelcastPort, String adminKey) {
    Map<String, TierConfig> tiers = new LinkedHashMap<>();
    base.tiers()
        .forEach(
            (name, t) -> {
              List<LimitConfig> limits = new ArrayList<>();
              limits.add(new LimitConfig(Scope.USER, DEMO_LIMIT));
              limits.addAll(t.limits());
              tiers.put(name, new TierConfig(name, t.models(), t.outputReserveTokens(), limits));
            });
    ServerConfig s = base.server();
    ServerConfig server =
        new ServerConfig(
            0,
            0,
            s.maxInboundMessageBytes(),
            s.permitKeepAliveTime(),
            Duration.ofSeconds(1),
            LOOPBACK,
            LOOPBACK,
            null);
    List<ServiceKeyConfig> keys = new ArrayList<>(base.keys());
    if (adminKey != null) {
      keys.add(
          new ServiceKeyConfig(
              ADMIN_KEY_NAME,
              ServiceKeys.sha256(adminKey.getBytes(StandardCharsets.UTF_8)),
              ServiceKeyConfig.DEFAULT_TIER,
              Role.ADMIN));
    }
    StoreConfig.HazelcastConfig hz =
        new StoreConfig.HazelcastConfig(
            StoreConfig.Mode.EMBEDDED,
            CLUSTER,
            hazelcastPort,
            List.of("127.0.0.1:" + hazelcastPort),
            false,
            null,
            0);
    StoreConfig store =
        new StoreConfig(StoreConfig.Kind.HAZELCAST, hz, STORE_DEADLINE, base.store().onError());
    return new TollgateConfig(
        base.source(),
        new UpstreamConfig(upstreamKey),
        keys,
        base.identity(),
        base.models(),
        tiers,
        base.routes(),
        server,
        store,
        base.accounting(),
        base.request(),
        base.alerts());
  }

  private static Thread daemon(String name, Runnable r) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /** The mock upstream, or null with a real one. */
  MockOpenAi mock() {
    return mock;
  }

  Tollgate tollgate() {
    return tollgate;
  }

  EnvoyEmulator envoy() {
    return envoy;
  }

  TollgateConfig config() {
    return config;
  }

  int hazelcastPort() {
    return hazelcastPort;
  }

  /** Where the emulator sends allowed requests. */
  URI upstream() {
    return upstream;
  }

  /** The admin key of this run (random; never printed in full, never in a URL). */
  String adminKey() {
    return adminKey;
  }

  /** What Tollgate answered to the emulator's Check calls. */
  CheckRecorder checks() {
    return checks;
  }

  /** Stops everything that started, the last first. */
  @Override
  public void close() {
    for (int i = started.size() - 1; i >= 0; i--) {
      try {
        started.get(i).close();
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
      }
    }
    started.clear();
  }
}
