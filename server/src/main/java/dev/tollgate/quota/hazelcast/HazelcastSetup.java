package dev.tollgate.quota.hazelcast;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.tollgate.config.StoreConfig;
import java.time.Duration;
import java.util.List;

/**
 * Builds a Hazelcast member or client from Tollgate's {@code store.hazelcast} settings: cluster
 * name and port, TCP-IP member list, multicast, Kubernetes discovery (DNS or API), backups,
 * SLF4J logging, no phone-home, invocation timeouts lowered to Tollgate's store deadline.
 */
public final class HazelcastSetup {
  /** The map holding usage records. */
  public static final String USAGE_MAP = "tollgate-usage";
  /** The map holding reservations that await their settlement. */
  public static final String PENDING_MAP = "tollgate-pending";
  /** The map holding secrets generated once per cluster (the settlement ticket key). */
  public static final String SECRETS_MAP = "tollgate-secrets";
  /** The map holding assertion nonces. */
  public static final String NONCE_MAP = "tollgate-nonces";

  private HazelcastSetup() {}

  /** Starts an embedded member or connects a client, per {@code mode}. */
  public static HazelcastInstance start(StoreConfig store) {
    StoreCallbacks.install();
    StoreConfig.HazelcastConfig hz = store.hazelcast();
    if (hz.mode() == StoreConfig.Mode.CLIENT) {
      return HazelcastClient.newHazelcastClient(clientConfig(hz, store.deadline()));
    }
    return Hazelcast.newHazelcastInstance(memberConfig(hz, store.deadline()));
  }

  /** The embedded member's configuration. */
  public static Config memberConfig(StoreConfig.HazelcastConfig hz, Duration deadline) {
    Config c = new Config();
    c.setClusterName(hz.clusterName());
    c.setInstanceName("tollgate-" + hz.clusterName() + "-" + hz.port() + "-" + System.nanoTime());
    c.setProperty("hazelcast.logging.type", "slf4j");
    c.setProperty("hazelcast.phone.home.enabled", "false");
    c.setProperty("hazelcast.shutdownhook.enabled", "false"); // Tollgate shuts down gracefully itself
    // a lone first member should not wait seconds for peers that are not there
    c.setProperty("hazelcast.wait.seconds.before.join", "0");
    c.setProperty("hazelcast.max.wait.seconds.before.join", "1");
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
    if (!members.isEmpty() && !hz.multicast() && hz.kubernetes() == null
        && members.stream().allMatch(m -> m.startsWith("127.") || m.startsWith("localhost:"))) {
      // a loopback-only cluster (one machine, the default config): listen on loopback only
      c.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
      c.setProperty("hazelcast.local.localAddress", "127.0.0.1");
      c.setProperty("hazelcast.socket.bind.any", "false");
    }
    kubernetes(join.getKubernetesConfig(), hz.kubernetes());
    MapConfig usage = new MapConfig(USAGE_MAP)
        // entry processors work on the object: no deserialize/serialize per operation
        .setInMemoryFormat(com.hazelcast.config.InMemoryFormat.OBJECT)
        .setBackupCount(hz.backups())
        .setAsyncBackupCount(0)
        .setStatisticsEnabled(false);
    c.addMapConfig(usage);
    c.addMapConfig(new MapConfig(NONCE_MAP).setBackupCount(hz.backups()).setStatisticsEnabled(false));
    c.addMapConfig(new MapConfig(PENDING_MAP).setBackupCount(hz.backups()).setStatisticsEnabled(false));
    c.addMapConfig(new MapConfig(SECRETS_MAP).setBackupCount(Math.max(1, hz.backups())).setStatisticsEnabled(false));
    HazelcastSerialization.register(c.getSerializationConfig());
    return c;
  }

  /** The client's configuration. */
  public static ClientConfig clientConfig(StoreConfig.HazelcastConfig hz, Duration deadline) {
    ClientConfig c = new ClientConfig();
    c.setClusterName(hz.clusterName());
    c.setProperty("hazelcast.logging.type", "slf4j");
    c.setProperty("hazelcast.phone.home.enabled", "false");
    c.setProperty("hazelcast.shutdownhook.enabled", "false");
    c.setProperty("hazelcast.client.invocation.timeout.seconds",
        Long.toString(Math.max(1, (deadline.toMillis() * 4 + 999) / 1000)));
    if (!hz.members().isEmpty()) {
      c.getNetworkConfig().setAddresses(hz.members());
    }
    kubernetes(c.getNetworkConfig().getKubernetesConfig(), hz.kubernetes());
    // keep trying to reconnect in the background; store calls fail fast meanwhile
    c.getConnectionStrategyConfig().setAsyncStart(false)
        .setReconnectMode(com.hazelcast.client.config.ClientConnectionStrategyConfig.ReconnectMode.ASYNC);
    c.getConnectionStrategyConfig().getConnectionRetryConfig().setClusterConnectTimeoutMillis(30_000);
    HazelcastSerialization.register(c.getSerializationConfig());
    return c;
  }

  /** Kubernetes discovery: DNS lookup of a headless Service, or the Kubernetes API. */
  private static void kubernetes(com.hazelcast.config.KubernetesConfig kc, StoreConfig.KubernetesConfig k) {
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
