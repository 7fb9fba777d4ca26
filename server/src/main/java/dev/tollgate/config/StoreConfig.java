package dev.tollgate.config;

import java.time.Duration;
import java.util.List;

/**
 * Where quota usage lives.
 *
 * @param kind memory (one process) or hazelcast
 * @param hazelcast Hazelcast settings (used when kind is hazelcast)
 * @param deadline the longest a store call may take before the failure policy applies
 * @param onError the failure policy
 * @param persistence where usage survives a restart
 * @param leases admit hot keys from local slices of their budget ({@code
 *     dev.tollgate.quota.LeasingQuotaStore}); Hazelcast only
 */
public record StoreConfig(
    Kind kind,
    HazelcastConfig hazelcast,
    Duration deadline,
    OnError onError,
    PersistenceConfig persistence,
    boolean leases) {
  /**
   * Defaults: Hazelcast with its defaults, 150 ms per store call, deny when the store fails,
   * nothing persisted (a configuration file read from disk persists to a file database by default:
   * see {@code StoreReader}).
   */
  public static final StoreConfig DEFAULTS =
      new StoreConfig(
          Kind.HAZELCAST, HazelcastConfig.DEFAULTS, Duration.ofMillis(150), OnError.DENY);

  public StoreConfig {
    java.util.Objects.requireNonNull(persistence, "persistence");
  }

  /** The same settings without leases. */
  public StoreConfig(
      Kind kind,
      HazelcastConfig hazelcast,
      Duration deadline,
      OnError onError,
      PersistenceConfig persistence) {
    this(kind, hazelcast, deadline, onError, persistence, false);
  }

  /** The same settings with nothing persisted and without leases. */
  public StoreConfig(Kind kind, HazelcastConfig hazelcast, Duration deadline, OnError onError) {
    this(kind, hazelcast, deadline, onError, PersistenceConfig.NONE);
  }

  /**
   * Whether this member has no peers to join: no member list, multicast or Kubernetes discovery.
   */
  public boolean standalone() {
    return kind == Kind.MEMORY
        || (hazelcast.mode() == Mode.EMBEDDED
            && hazelcast.members().isEmpty()
            && !hazelcast.multicast()
            && hazelcast.kubernetes() == null
            && hazelcast.minClusterSize() <= 1);
  }

  /** Store backends. */
  public enum Kind {
    MEMORY,
    HAZELCAST
  }

  /** What a decision is when the store cannot answer in time. */
  public enum OnError {
    /** 503 {@code quota_unavailable} with {@code retry-after}. */
    DENY,
    /** Allow, mark the metadata, count the event. */
    ALLOW
  }

  /**
   * Hazelcast settings.
   *
   * @param mode embedded member or client of an existing cluster
   * @param clusterName cluster name
   * @param port this member's port (embedded)
   * @param members TCP-IP member list ({@code host:port}); empty for none
   * @param multicast join by multicast
   * @param kubernetes Kubernetes discovery, or null
   * @param backups synchronous backups per entry
   * @param bindInterface the address or interface pattern the embedded member binds ({@code
   *     10.0.0.5}, {@code 10.0.0.*}, {@value #ALL_INTERFACES} for every interface), or null for the
   *     default: loopback when no join method reaches beyond it, else every interface
   * @param minClusterSize the embedded member starts serving only once its cluster has this many
   *     members (1: at once)
   */
  public record HazelcastConfig(
      Mode mode,
      String clusterName,
      int port,
      List<String> members,
      boolean multicast,
      KubernetesConfig kubernetes,
      int backups,
      String bindInterface,
      int minClusterSize) {
    /** The {@code store.hazelcast.interface} value that binds every interface. */
    public static final String ALL_INTERFACES = "0.0.0.0";

    /**
     * Defaults: an embedded member of cluster {@code tollgate} on port 5701, no join method, one
     * backup, the default bind, serving at once.
     */
    public static final HazelcastConfig DEFAULTS =
        new HazelcastConfig(Mode.EMBEDDED, "tollgate", 5701, List.of(), false, null, 1);

    public HazelcastConfig {
      members = List.copyOf(members);
    }

    /** The same settings, serving at once (minimum cluster size 1). */
    public HazelcastConfig(
        Mode mode,
        String clusterName,
        int port,
        List<String> members,
        boolean multicast,
        KubernetesConfig kubernetes,
        int backups,
        String bindInterface) {
      this(mode, clusterName, port, members, multicast, kubernetes, backups, bindInterface, 1);
    }

    /** The same settings with the default bind (no {@code interface}). */
    public HazelcastConfig(
        Mode mode,
        String clusterName,
        int port,
        List<String> members,
        boolean multicast,
        KubernetesConfig kubernetes,
        int backups) {
      this(mode, clusterName, port, members, multicast, kubernetes, backups, null, 1);
    }
  }

  /** Embedded member or client. */
  public enum Mode {
    EMBEDDED,
    CLIENT
  }

  /**
   * Kubernetes discovery: DNS lookup of a headless Service, or the Kubernetes API.
   *
   * @param serviceDns headless Service DNS name (DNS mode), or null
   * @param namespace namespace (API mode), or null
   * @param serviceName service name (API mode), or null
   */
  public record KubernetesConfig(String serviceDns, String namespace, String serviceName) {}
}
