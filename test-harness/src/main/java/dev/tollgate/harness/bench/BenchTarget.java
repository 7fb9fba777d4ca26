package dev.tollgate.harness.bench;

import com.hazelcast.core.HazelcastInstance;
import dev.tollgate.Tollgate;
import dev.tollgate.auth.ServiceKeys;
import dev.tollgate.config.ConfigException;
import dev.tollgate.config.ConfigLoader;
import dev.tollgate.config.ServerConfig;
import dev.tollgate.config.TollgateConfig;
import dev.tollgate.hazelcast.HazelcastSetup;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.Window;
import dev.tollgate.testsupport.FreePorts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;

/**
 * Tollgate as the benchmark runs it: one {@code tollgate serve} equivalent (Netty on a loopback
 * port, its own embedded Hazelcast member) and, for a cluster of N, N-1 more Hazelcast members
 * started the way other replicas would start theirs. Limits are those of the default
 * configuration's shape (user 5m, 1d, month USD; global 1m), set high enough never to refuse unless
 * a run asks for a lower per-user limit.
 */
final class BenchTarget implements AutoCloseable {
  static final String SERVICE_KEY = "tollgate-bench-key";

  /** The per-user token limits (5m and 1d) of a run that is not about limits: never reached. */
  static final long UNREACHED = 1_000_000_000_000L;

  private final Tollgate tollgate;
  private final List<HazelcastInstance> peers;
  private final Path dataDir;

  private BenchTarget(Tollgate tollgate, List<HazelcastInstance> peers, Path dataDir) {
    this.tollgate = tollgate;
    this.peers = peers;
    this.dataDir = dataDir;
  }

  /** Tollgate with a cluster of {@code members} Hazelcast members, or the in-memory store for 0. */
  static BenchTarget start(int members) throws IOException, InterruptedException {
    return start(members, false);
  }

  /**
   * Tollgate with a cluster of {@code members} Hazelcast members, or the in-memory store for 0.
   *
   * @param persist with one member, write usage behind to a file database in a temporary directory
   */
  static BenchTarget start(int members, boolean persist) throws IOException, InterruptedException {
    return start(members, persist, UNREACHED, false);
  }

  /**
   * Tollgate with a cluster of {@code members} Hazelcast members, or the in-memory store for 0.
   *
   * @param persist with one member, write usage behind to a file database in a temporary directory
   * @param userTokens every user's token limit in the 5-minute and the 1-day window
   * @param leases {@code store.leases} (Hazelcast only)
   */
  static BenchTarget start(int members, boolean persist, long userTokens, boolean leases)
      throws IOException, InterruptedException {
    if (members == 0) {
      return new BenchTarget(
          start(
              config(5701, List.of("127.0.0.1:5701"), "unused", "memory", null, userTokens, false)),
          List.of(),
          null);
    }
    if (members == 1) {
      int port = FreePorts.freePort();
      String cluster = "tollgate-bench-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
      Path dir = persist ? Files.createTempDirectory("tollgate-bench-db") : null;
      return new BenchTarget(
          start(config(port, List.of(), cluster, "hazelcast", dir, userTokens, leases)),
          List.of(),
          dir);
    }
    int hzBase = FreePorts.freeRange(members);
    String cluster = "tollgate-bench-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
    List<String> addresses = new ArrayList<>();
    for (int i = 0; i < members; i++) {
      addresses.add("127.0.0.1:" + (hzBase + i));
    }
    List<HazelcastInstance> peers = new ArrayList<>();
    Tollgate t = null;
    try {
      for (int i = 1; i < members; i++) {
        peers.add(
            HazelcastSetup.start(
                config(hzBase + i, addresses, cluster, "hazelcast", null, userTokens, leases)
                    .store()));
      }
      t = start(config(hzBase, addresses, cluster, "hazelcast", null, userTokens, leases));
      long deadline = System.nanoTime() + 60_000_000_000L;
      HazelcastInstance probe = peers.isEmpty() ? null : peers.get(0);
      while (probe != null
          && (probe.getCluster().getMembers().size() < members
              || !probe.getPartitionService().isClusterSafe())) {
        if (System.nanoTime() > deadline) {
          throw new IOException(
              "the " + members + "-member Hazelcast cluster did not form within 60 s");
        }
        Thread.sleep(50);
      }
      return new BenchTarget(t, peers, null);
    } catch (IOException | InterruptedException | RuntimeException e) {
      if (t != null) {
        t.close();
      }
      peers.forEach(HazelcastInstance::shutdown);
      throw e;
    }
  }

  /** Tollgate on a free loopback port, its store opened as the configuration says. */
  private static Tollgate start(TollgateConfig config) throws IOException {
    ExecutorService executor = Tollgate.grpcExecutor();
    return Tollgate.start(
        config,
        Tollgate.netty(config.server(), FreePorts.anyPort()).executor(executor),
        executor,
        false,
        Clock.systemUTC(),
        Tollgate.openStore(config));
  }

  /** The server settings (keepalive, message sizes) the baseline shares with Tollgate. */
  static ServerConfig serverConfig() {
    return config(5701, List.of("127.0.0.1:5701"), "unused", "memory").server();
  }

  int grpcPort() {
    return tollgate.grpcPort();
  }

  Tollgate tollgate() {
    return tollgate;
  }

  /** The tokens {@code user} has used, reservations included, in its 5-minute window. */
  long usedTokens(String user) {
    return tollgate
        .quotas()
        .status("user:" + user, List.of(new Limit(Window.parse("5m"), Unit.TOKENS, UNREACHED)))
        .toCompletableFuture()
        .join()
        .get(0)
        .used();
  }

  @Override
  public void close() {
    tollgate.close();
    peers.forEach(HazelcastInstance::shutdown);
    if (dataDir != null) {
      try (var files = Files.walk(dataDir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        // a temporary directory: left for the system to clean
      }
    }
  }

  static TollgateConfig config(int hzPort, List<String> members, String cluster, String storeType) {
    return config(hzPort, members, cluster, storeType, null, UNREACHED, false);
  }

  /**
   * @param dataDir the file database's directory, or null for no persistence
   * @param userTokens every user's token limit in the 5-minute and the 1-day window
   * @param leases {@code store.leases}
   */
  static TollgateConfig config(
      int hzPort,
      List<String> members,
      String cluster,
      String storeType,
      Path dataDir,
      long userTokens,
      boolean leases) {
    String sha =
        HexFormat.of().formatHex(ServiceKeys.sha256(SERVICE_KEY.getBytes(StandardCharsets.UTF_8)));
    String yaml =
        """
        upstream: { api_key: "sk-bench-upstream" }
        keys:
          - { name: bench, sha256: "%s", tier: default, role: service }
        identity:
          sources: [header:x-on-behalf-of]
          fallback: anonymous
        models:
          gpt-4o-mini: { encoding: o200k_base, input_usd_per_mtok: 0.15, output_usd_per_mtok: 0.60 }
        tiers:
          default:
            models: [gpt-4o-mini]
            output_reserve_tokens: 256
            limits:
              - { scope: user,   window: 5m,    tokens: %d }
              - { scope: user,   window: 1d,    tokens: %d }
              - { scope: user,   window: month, usd: 1000000000 }
              - { scope: global, window: 1m,    tokens: 1000000000000000 }
        server: { grpc_port: 0, http_port: -1 }
        store:
          type: %s
          hazelcast: { mode: embedded, cluster_name: %s, port: %d, members: [%s], multicast: false, backups: 1 }
          deadline_ms: 150
          on_error: deny
          persistence: %s
          leases: %s
        """
            .formatted(
                sha,
                userTokens,
                userTokens,
                storeType,
                cluster,
                hzPort,
                members.stream().collect(Collectors.joining(", ")),
                dataDir == null
                    ? "{ type: none }"
                    : "{ type: file, path: \"" + dataDir + "\", write_delay: 2s }",
                leases);
    try {
      return ConfigLoader.parse(yaml, "bench.yaml", Map.of());
    } catch (ConfigException e) {
      throw new IllegalStateException("bench configuration: " + e.errors(), e);
    }
  }
}
