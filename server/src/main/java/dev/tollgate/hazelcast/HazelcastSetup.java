package dev.tollgate.hazelcast;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.spi.properties.ClusterProperty;
import dev.tollgate.config.StoreConfig;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds a Hazelcast member or client from Tollgate's {@code store.hazelcast} settings: cluster
 * name and port, the one address the member binds, TCP-IP member list, multicast, Kubernetes
 * discovery (DNS or API), backups, the minimum cluster size to start serving, a bounded graceful
 * shutdown, SLF4J logging, no phone-home, invocation timeouts lowered to Tollgate's store deadline.
 * A member that listens beyond loopback is reported at start-up.
 */
public final class HazelcastSetup {
  /** The map holding usage records. */
  public static final String USAGE_MAP = "tollgate-usage";

  /** The map holding reservations that await their settlement. */
  public static final String PENDING_MAP = "tollgate-pending";

  /** The map holding secrets generated once per cluster (the settlement ticket key). */
  public static final String SECRETS_MAP = "tollgate-secrets";

  /**
   * The map holding the usage ledger's daily aggregates ({@link HazelcastUsageLedger}), indexed by
   * tier and day.
   */
  public static final String LEDGER_MAP = "tollgate-ledger";

  /**
   * The map holding per-user and per-key limit overrides ({@link HazelcastOverrides}), copied to
   * every member.
   */
  public static final String OVERRIDES_MAP = "tollgate-overrides";

  /** The map holding assertion nonces. */
  public static final String NONCE_MAP = "tollgate-nonces";

  /** The map holding the alerts sent ({@link HazelcastSentAlerts}), each until its period ends. */
  public static final String ALERTS_MAP = "tollgate-alerts-sent";

  /**
   * The longest a member's graceful shutdown waits for its partitions to be safe on the other
   * members ({@code hazelcast.graceful.shutdown.max.wait}; Hazelcast's default is 600 s). Tollgate
   * drains its gRPC calls first ({@code server.shutdown_grace}), so a pod's termination grace must
   * cover both.
   */
  public static final Duration GRACEFUL_SHUTDOWN_MAX_WAIT = Duration.ofSeconds(60);

  /**
   * How often a member that waits for {@code min_cluster_size} looks for clusters to merge with.
   */
  static final int MERGE_SEARCH_SECONDS = 5;

  private static final Logger LOG = LoggerFactory.getLogger(HazelcastSetup.class);
  private static final String BIND_ANY = "hazelcast.socket.bind.any";
  private static final String LOOPBACK = "127.0.0.1";

  private HazelcastSetup() {}

  /** Starts an embedded member or connects a client, per {@code mode}. */
  public static HazelcastInstance start(StoreConfig store) {
    return start(store, null);
  }

  /**
   * Starts an embedded member or connects a client, per {@code mode}.
   *
   * @param persistence the database the member's usage map is written behind to, or null
   */
  public static HazelcastInstance start(StoreConfig store, PersistentMaps persistence) {
    StoreCallbacks.install();
    StoreConfig.HazelcastConfig hz = store.hazelcast();
    if (hz.mode() == StoreConfig.Mode.CLIENT) {
      return HazelcastClient.newHazelcastClient(clientConfig(hz, store.deadline()));
    }
    Config config = memberConfig(hz, store.deadline());
    if (persistence != null) {
      persistence.configure(config);
    }
    HazelcastInstance member = Hazelcast.newHazelcastInstance(config);
    exposureWarning(config, member.getCluster().getLocalMember().getSocketAddress())
        .ifPresent(LOG::warn);
    return member;
  }

  /** The embedded member's configuration. */
  public static Config memberConfig(StoreConfig.HazelcastConfig hz, Duration deadline) {
    Config c = new Config();
    c.setClusterName(hz.clusterName());
    c.setInstanceName("tollgate-" + hz.clusterName() + "-" + hz.port() + "-" + System.nanoTime());
    c.setProperty("hazelcast.logging.type", "slf4j");
    c.setProperty("hazelcast.phone.home.enabled", "false");
    c.setProperty(
        "hazelcast.shutdownhook.enabled", "false"); // Tollgate shuts down gracefully itself
    c.setProperty(
        ClusterProperty.GRACEFUL_SHUTDOWN_MAX_WAIT.getName(),
        Long.toString(GRACEFUL_SHUTDOWN_MAX_WAIT.toSeconds()));
    if (hz.minClusterSize() > 1) {
      // Replicas started together (a Deployment's cold start) may not see each other at their
      // first join and each become a one-member cluster enforcing the full limit. Start-up blocks
      // until the cluster has min_cluster_size members (a majority: only one such cluster can
      // exist), waits Hazelcast's usual time for peers before joining, and searches for the other
      // clusters every few seconds instead of after Hazelcast's default five minutes.
      c.setProperty(
          ClusterProperty.INITIAL_MIN_CLUSTER_SIZE.getName(),
          Integer.toString(hz.minClusterSize()));
      c.setProperty(ClusterProperty.WAIT_SECONDS_BEFORE_JOIN.getName(), "5");
      c.setProperty(ClusterProperty.MAX_WAIT_SECONDS_BEFORE_JOIN.getName(), "20");
      c.setProperty(
          ClusterProperty.MERGE_FIRST_RUN_DELAY_SECONDS.getName(),
          Integer.toString(MERGE_SEARCH_SECONDS));
      c.setProperty(
          ClusterProperty.MERGE_NEXT_RUN_DELAY_SECONDS.getName(),
          Integer.toString(MERGE_SEARCH_SECONDS));
    } else {
      // a lone first member should not wait seconds for peers that are not there
      c.setProperty(ClusterProperty.WAIT_SECONDS_BEFORE_JOIN.getName(), "0");
      c.setProperty(ClusterProperty.MAX_WAIT_SECONDS_BEFORE_JOIN.getName(), "1");
    }
    timeouts(c.getProperties(), deadline);
    c.getNetworkConfig().setPort(hz.port()).setPortAutoIncrement(false);
    JoinConfig join = c.getNetworkConfig().getJoin();
    join.getAutoDetectionConfig().setEnabled(false);
    join.getMulticastConfig().setEnabled(hz.multicast());
    if (hz.multicast()) {
      join.getMulticastConfig().setMulticastTimeoutSeconds(1);
    }
    List<String> members = hz.members();
    if (!members.isEmpty()) {
      join.getTcpIpConfig().setEnabled(true).setMembers(members).setConnectionTimeoutSeconds(1);
    }
    bind(c, bindInterface(hz));
    kubernetes(join.getKubernetesConfig(), hz.kubernetes());
    MapConfig usage =
        new MapConfig(USAGE_MAP)
            // entry processors work on the object: no deserialize/serialize per operation
            .setInMemoryFormat(com.hazelcast.config.InMemoryFormat.OBJECT)
            .setBackupCount(hz.backups())
            .setAsyncBackupCount(0)
            .setStatisticsEnabled(false);
    c.addMapConfig(usage);
    c.addMapConfig(
        new MapConfig(LEDGER_MAP)
            .setBackupCount(hz.backups())
            .setAsyncBackupCount(0)
            .setStatisticsEnabled(false)
            // "all users of a tier for a period": equality on tier, range on day
            .addIndexConfig(
                new com.hazelcast.config.IndexConfig(
                    com.hazelcast.config.IndexType.SORTED, "tier", "day"))
            .addIndexConfig(
                new com.hazelcast.config.IndexConfig(
                    com.hazelcast.config.IndexType.SORTED, "day")));
    c.addMapConfig(
        new MapConfig(NONCE_MAP).setBackupCount(hz.backups()).setStatisticsEnabled(false));
    c.addMapConfig(
        new MapConfig(ALERTS_MAP).setBackupCount(hz.backups()).setStatisticsEnabled(false));
    c.addMapConfig(
        new MapConfig(PENDING_MAP).setBackupCount(hz.backups()).setStatisticsEnabled(false));
    c.addMapConfig(
        new MapConfig(OVERRIDES_MAP)
            // few and precious: keep a backup even when usage has none
            .setBackupCount(Math.max(1, hz.backups()))
            .setStatisticsEnabled(false));
    c.addMapConfig(
        new MapConfig(SECRETS_MAP)
            .setBackupCount(Math.max(1, hz.backups()))
            .setStatisticsEnabled(false));
    HazelcastSerialization.register(c.getSerializationConfig());
    return c;
  }

  /**
   * The interface the member binds: {@code store.hazelcast.interface} when set, else loopback when
   * no join method reaches beyond it (no peers, or only loopback ones), else every interface.
   */
  static String bindInterface(StoreConfig.HazelcastConfig hz) {
    if (hz.bindInterface() != null) {
      return hz.bindInterface();
    }
    boolean loopbackOnly =
        !hz.multicast()
            && hz.kubernetes() == null
            && hz.members().stream()
                .allMatch(
                    m ->
                        m.startsWith("127.")
                            || m.startsWith("localhost:")
                            || m.startsWith("[::1]:"));
    return loopbackOnly ? LOOPBACK : StoreConfig.HazelcastConfig.ALL_INTERFACES;
  }

  private static void bind(Config c, String bindInterface) {
    if (StoreConfig.HazelcastConfig.ALL_INTERFACES.equals(bindInterface)) {
      c.setProperty(BIND_ANY, "true");
      return;
    }
    // listen on this address only, not on every interface
    c.getNetworkConfig().getInterfaces().setEnabled(true).addInterface(bindInterface);
    c.setProperty(BIND_ANY, "false");
    if (!bindInterface.contains("*") && !bindInterface.contains("-")) {
      c.setProperty("hazelcast.local.localAddress", bindInterface);
    }
  }

  /**
   * The start-up warning for a member that listens beyond loopback, or empty. Hazelcast members do
   * not authenticate peers or clients: whoever reaches the port and knows the cluster name (not a
   * secret) can read, change and delete usage records.
   *
   * @param c the member's configuration
   * @param local the member's own address ({@code getLocalEndpoint().getSocketAddress()})
   */
  public static Optional<String> exposureWarning(Config c, InetSocketAddress local) {
    boolean any = !"false".equalsIgnoreCase(c.getProperty(BIND_ANY));
    if (!any && local.getAddress() != null && local.getAddress().isLoopbackAddress()) {
      return Optional.empty();
    }
    String where =
        any
            ? "every interface (0.0.0.0:"
                + local.getPort()
                + "; this member is "
                + hostPort(local)
                + ")"
            : hostPort(local);
    return Optional.of(
        "hazelcast.exposed: the quota store's Hazelcast member listens on "
            + where
            + ". Hazelcast does not authenticate members or clients: whoever reaches this port can read, change and delete "
            + "usage records; the cluster name is not a secret. Bind one address (store.hazelcast.interface) and allow only "
            + "Tollgate's replicas to reach the port (a NetworkPolicy, mesh mTLS, a private network).");
  }

  private static String hostPort(InetSocketAddress a) {
    String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
  }

  /** The client's configuration. */
  public static ClientConfig clientConfig(StoreConfig.HazelcastConfig hz, Duration deadline) {
    ClientConfig c = new ClientConfig();
    c.setClusterName(hz.clusterName());
    c.setProperty("hazelcast.logging.type", "slf4j");
    c.setProperty("hazelcast.phone.home.enabled", "false");
    c.setProperty("hazelcast.shutdownhook.enabled", "false");
    c.setProperty(
        "hazelcast.client.invocation.timeout.seconds",
        Long.toString(Math.max(1, (deadline.toMillis() * 4 + 999) / 1000)));
    if (!hz.members().isEmpty()) {
      c.getNetworkConfig().setAddresses(hz.members());
    }
    kubernetes(c.getNetworkConfig().getKubernetesConfig(), hz.kubernetes());
    // keep trying to reconnect in the background; store calls fail fast meanwhile
    c.getConnectionStrategyConfig()
        .setAsyncStart(false)
        .setReconnectMode(
            com.hazelcast.client.config.ClientConnectionStrategyConfig.ReconnectMode.ASYNC);
    c.getConnectionStrategyConfig()
        .getConnectionRetryConfig()
        .setClusterConnectTimeoutMillis(30_000);
    HazelcastSerialization.register(c.getSerializationConfig());
    return c;
  }

  /** Kubernetes discovery: DNS lookup of a headless Service, or the Kubernetes API. */
  private static void kubernetes(
      com.hazelcast.config.KubernetesConfig kc, StoreConfig.KubernetesConfig k) {
    if (k == null) {
      return;
    }
    kc.setEnabled(true);
    if (k.serviceDns() != null) {
      kc.setProperty("service-dns", k.serviceDns());
      return;
    }
    if (k.namespace() != null) {
      kc.setProperty("namespace", k.namespace());
    }
    if (k.serviceName() != null) {
      kc.setProperty("service-name", k.serviceName());
    }
  }

  private static void timeouts(java.util.Properties p, Duration deadline) {
    // Tollgate gives up on a call after the deadline; Hazelcast should not keep retrying far beyond
    long d = Math.max(50, deadline.toMillis());
    p.setProperty("hazelcast.operation.call.timeout.millis", Long.toString(Math.max(1000, d * 4)));
    p.setProperty("hazelcast.operation.backup.timeout.millis", Long.toString(Math.max(500, d * 4)));
    // retries ride out partition migrations (members joining or leaving); the caller's deadline
    // still bounds how long a decision waits
    p.setProperty("hazelcast.invocation.max.retry.count", "60");
    p.setProperty("hazelcast.invocation.retry.pause.millis", "25");
  }
}
