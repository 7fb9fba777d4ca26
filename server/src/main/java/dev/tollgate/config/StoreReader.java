package dev.tollgate.config;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Reads {@code store}: the backend, its Hazelcast settings, the deadline and the failure policy.
 */
final class StoreReader {
  static final SectionKeys STORE =
      SectionKeys.of("store", "type", "hazelcast", "deadline_ms", "on_error");
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

  /** The keys it reads, at every level. */
  static final List<SectionKeys> KEYS =
      List.of(SectionKeys.of("", "store"), STORE, HAZELCAST, KUBERNETES);

  private static final Pattern HOST_PORT =
      Pattern.compile("[A-Za-z0-9.\\-]+:[0-9]{1,5}|\\[[0-9a-fA-F:]+]:[0-9]{1,5}");

  private StoreReader() {}

  static StoreConfig read(Section root) {
    StoreConfig d = StoreConfig.DEFAULTS;
    Section n = root.section("store", STORE, false);
    if (n == null) {
      return d;
    }
    StoreConfig.Kind kind = n.oneOf("type", d.kind());
    long deadline = n.integer("deadline_ms", 1, 10_000, d.deadline().toMillis());
    StoreConfig.OnError onError = n.oneOf("on_error", d.onError());
    Section h = n.section("hazelcast", HAZELCAST, false);
    StoreConfig.HazelcastConfig hz = h == null ? d.hazelcast() : hazelcast(h);
    return new StoreConfig(kind, hz, Duration.ofMillis(deadline), onError);
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
