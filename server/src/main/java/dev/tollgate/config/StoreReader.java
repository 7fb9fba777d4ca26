package dev.tollgate.config;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Reads {@code store}: the backend, its Hazelcast settings, the deadline and the failure policy.
 */
final class StoreReader {
  static final SectionKeys STORE =
      SectionKeys.of(
          "store", "type", "hazelcast", "deadline_ms", "on_error", "persistence", "leases");
  static final SectionKeys HAZELCAST =
      SectionKeys.of(
          "store.hazelcast",
          "mode",
          "cluster_name",
          "port",
          "members",
          "multicast",
          "kubernetes",
          "backups",
          "interface",
          "min_cluster_size");
  static final SectionKeys KUBERNETES =
      SectionKeys.of("store.hazelcast.kubernetes", "service_dns", "namespace", "service_name");

  static final SectionKeys PERSISTENCE =
      SectionKeys.of(
          "store.persistence",
          "type",
          "path",
          "jdbc_url",
          "username",
          "password",
          "password_env",
          "password_file",
          "write_delay",
          "retention_days",
          "pool_size");

  /** The keys it reads, at every level. */
  static final List<SectionKeys> KEYS =
      List.of(SectionKeys.of("", "store"), STORE, HAZELCAST, KUBERNETES, PERSISTENCE);

  private static final Pattern HOST_PORT =
      Pattern.compile("[A-Za-z0-9.\\-]+:[0-9]{1,5}|\\[[0-9a-fA-F:]+]:[0-9]{1,5}");

  private StoreReader() {}

  static StoreConfig read(Section root) {
    StoreConfig d = StoreConfig.DEFAULTS;
    Section n = root.section("store", STORE, false);
    if (n == null) {
      return new StoreConfig(
          d.kind(), d.hazelcast(), d.deadline(), d.onError(), persistence(root, null, d));
    }
    StoreConfig.Kind kind = n.oneOf("type", d.kind());
    long deadline = n.integer("deadline_ms", 1, 10_000, d.deadline().toMillis());
    StoreConfig.OnError onError = n.oneOf("on_error", d.onError());
    Section h = n.section("hazelcast", HAZELCAST, false);
    StoreConfig.HazelcastConfig hz = h == null ? d.hazelcast() : hazelcast(h);
    StoreConfig store = new StoreConfig(kind, hz, Duration.ofMillis(deadline), onError);
    boolean leases = n.bool("leases", d.leases());
    if (leases && kind == StoreConfig.Kind.MEMORY) {
      n.error(
          "leases",
          "true with type memory (expected: false, or type hazelcast: leases save cluster round"
              + " trips, and one process has none)");
    }
    return new StoreConfig(
        kind,
        hz,
        store.deadline(),
        onError,
        persistence(root, n.section("persistence", PERSISTENCE, false), store),
        leases);
  }

  /**
   * {@code store.persistence}. Absent, it is a file database in {@code data} next to the
   * configuration file for a lone embedded member read from a file, and nothing otherwise (text
   * parsed in code has no directory of its own; a cluster needs a database server).
   */
  private static PersistenceConfig persistence(Section root, Section p, StoreConfig store) {
    Reading r = root.reading();
    boolean member =
        store.kind() == StoreConfig.Kind.HAZELCAST
            && store.hazelcast().mode() == StoreConfig.Mode.EMBEDDED;
    if (p == null) {
      return member && store.standalone() && r.fromFile()
          ? PersistenceConfig.file(r.resolve(PersistenceConfig.DEFAULT_PATH))
          : PersistenceConfig.NONE;
    }
    PersistenceConfig.Type type = p.oneOf("type", PersistenceConfig.Type.FILE);
    if (type != PersistenceConfig.Type.NONE && !member) {
      p.error(
          "type",
          type.name().toLowerCase(java.util.Locale.ROOT)
              + " with "
              + (store.kind() == StoreConfig.Kind.MEMORY
                  ? "store.type: memory (expected: none; persistence needs the Hazelcast store)"
                  : "store.hazelcast.mode: client (expected: none; persistence is configured on the"
                      + " cluster's members)"));
    }
    if (type == PersistenceConfig.Type.FILE && !store.standalone()) {
      p.error(
          "type",
          "file with a Hazelcast cluster (members, multicast, kubernetes or min_cluster_size > 1)"
              + " (expected: jdbc, a database every member shares; a file database belongs to one"
              + " process, and after a full restart each member would restore the stale records of"
              + " the partitions it once owned)");
    }
    String path = p.string("path", PersistenceConfig.DEFAULT_PATH);
    String url = p.string("jdbc_url", null);
    String user = p.string("username", null);
    boolean anyPassword = p.has("password") || p.has("password_env") || p.has("password_file");
    Secret password = anyPassword ? p.secret("password", false) : null;
    if (type == PersistenceConfig.Type.JDBC) {
      if (url == null) {
        p.error("no jdbc_url with type: jdbc (expected: e.g. jdbc:postgresql://db:5432/tollgate)");
      } else if (!url.startsWith("jdbc:postgresql:")) {
        p.error(
            "jdbc_url",
            "'"
                + JdbcUrls.redact(url)
                + "' (expected: a PostgreSQL URL, jdbc:postgresql://HOST:PORT/DATABASE)");
      }
    } else {
      for (String k :
          List.of("jdbc_url", "username", "password", "password_env", "password_file")) {
        if (p.has(k)) {
          p.error(
              k,
              "set with type: "
                  + type.name().toLowerCase(java.util.Locale.ROOT)
                  + " (expected: only with type: jdbc)");
        }
      }
    }
    if (p.has("path") && type != PersistenceConfig.Type.FILE) {
      p.error(
          "path",
          "set with type: "
              + type.name().toLowerCase(java.util.Locale.ROOT)
              + " (expected: only with type: file)");
    }
    Duration delay = PersistenceConfig.DEFAULT_WRITE_DELAY;
    if (p.has("write_delay")) {
      Duration w = p.duration("write_delay");
      if (w != null) {
        if (w.toMillis() % 1000 != 0 || w.toSeconds() < 1 || w.toSeconds() > 60) {
          p.error(
              "write_delay",
              w.toMillis()
                  + "ms"
                  + " (expected: whole seconds from 1s to 60s; at most this much usage is lost on a"
                  + " crash)");
        } else {
          delay = w;
        }
      }
    }
    int retention =
        (int) p.integer("retention_days", 1, 36_500, PersistenceConfig.DEFAULT_RETENTION_DAYS);
    int pool = (int) p.integer("pool_size", 1, 64, PersistenceConfig.DEFAULT_POOL_SIZE);
    return new PersistenceConfig(
        type,
        type == PersistenceConfig.Type.FILE ? r.resolve(path).toAbsolutePath().normalize() : null,
        url,
        user,
        password,
        delay,
        retention,
        pool);
  }

  private static StoreConfig.HazelcastConfig hazelcast(Section h) {
    StoreConfig.HazelcastConfig d = StoreConfig.HazelcastConfig.DEFAULTS;
    StoreConfig.Mode mode = h.oneOf("mode", d.mode());
    String cluster = h.string("cluster_name", d.clusterName());
    int port = (int) h.integer("port", 1, 65535, d.port());
    List<String> members = h.has("members") ? h.strings("members", false) : d.members();
    for (int i = 0; i < members.size(); i++) {
      if (!HOST_PORT.matcher(members.get(i)).matches()) {
        h.error("members[" + i + "]", "'" + members.get(i) + "' (expected: host:port)");
      }
    }
    boolean multicast = h.bool("multicast", d.multicast());
    Section k = h.section("kubernetes", KUBERNETES, false);
    StoreConfig.KubernetesConfig k8s = k == null ? d.kubernetes() : kubernetes(k);
    int backups = (int) h.integer("backups", 0, 6, d.backups());
    String bind = h.has("interface") ? bindInterface(h, "interface") : d.bindInterface();
    if (bind != null && mode == StoreConfig.Mode.CLIENT) {
      h.error(
          "interface",
          "set with mode: client (expected: only for an embedded member; a client"
              + " does not listen, fence the cluster it connects to instead)");
    }
    int minSize = (int) h.integer("min_cluster_size", 1, 100, d.minClusterSize());
    if (minSize > 1 && mode == StoreConfig.Mode.CLIENT) {
      h.error("min_cluster_size", "set with mode: client (expected: only for an embedded member)");
    }
    return new StoreConfig.HazelcastConfig(
        mode,
        cluster == null ? d.clusterName() : cluster,
        port,
        members,
        multicast,
        k8s,
        backups,
        bind,
        minSize);
  }

  private static StoreConfig.KubernetesConfig kubernetes(Section k) {
    String dns = k.string("service_dns", null);
    String ns = k.string("namespace", null);
    String svc = k.string("service_name", null);
    if (dns != null && (ns != null || svc != null)) {
      k.error(
          "both service_dns and namespace/service_name (expected: DNS lookup or the Kubernetes API, not both)");
    }
    return new StoreConfig.KubernetesConfig(dns, ns, svc);
  }

  /**
   * A Hazelcast interface: an IP literal or an IPv4 pattern with {@code *} or ranges ({@code
   * 10.0.0.*}, {@code 10.0.1-9.*}).
   */
  private static String bindInterface(Section h, String key) {
    String a = h.string(key, null);
    if (a == null) {
      return null;
    }
    a = a.strip();
    if (!Addresses.isIpLiteral(a) && !Addresses.isIpv4Pattern(a)) {
      h.error(
          key,
          "'"
              + a
              + "' (expected: this member's IP address, e.g. \"${POD_IP}\", or a pattern such as 10.0.0.*;"
              + " 0.0.0.0 for every interface)");
      return null;
    }
    return a;
  }
}
