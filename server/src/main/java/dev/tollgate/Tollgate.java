package dev.tollgate;

import dev.tollgate.accounting.TicketSeal;
import dev.tollgate.admin.AdminJson;
import dev.tollgate.admin.AdminService;
import dev.tollgate.admin.HttpEndpoints;
import dev.tollgate.admin.Metrics;
import dev.tollgate.admission.Admission;
import dev.tollgate.admission.AdmissionStats;
import dev.tollgate.auth.InMemoryNonceStore;
import dev.tollgate.auth.NonceStore;
import dev.tollgate.config.ServerConfig;
import dev.tollgate.config.StoreConfig;
import dev.tollgate.config.TollgateConfig;
import dev.tollgate.config.UpstreamConfig;
import dev.tollgate.envoy.authz.AuthorizationService;
import dev.tollgate.envoy.extproc.ExtProcStats;
import dev.tollgate.envoy.extproc.ExternalProcessorService;
import dev.tollgate.ledger.InMemoryUsageLedger;
import dev.tollgate.ledger.UsageLedger;
import dev.tollgate.quota.InMemoryQuotaStore;
import dev.tollgate.quota.QuotaService;
import dev.tollgate.quota.QuotaStore;
import dev.tollgate.response.BufferBudget;
import dev.tollgate.tokens.Encodings;
import dev.tollgate.tokens.PromptCounter;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Tollgate: the gRPC server (ext_authz, ext_proc, health, reflection), the HTTP
 * endpoints, and the components behind them, built from one configuration. Tests pass their own
 * {@link ServerBuilder} (e.g. in-process).
 */
public final class Tollgate implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Tollgate.class);

  private final TollgateConfig config;
  private final Server server;
  private final HttpEndpoints http;
  private final HealthStatusManager health;
  private final QuotaStore store;
  private UsageLedger ledger = UsageLedger.NONE;
  private dev.tollgate.quota.Overrides overrides;
  private final ExecutorService executor;
  private final AdmissionStats stats;
  private ExtProcStats extProcStats;
  private ExecutorService largeBodies;
  private final QuotaService quotas;
  private final AtomicBoolean ready;
  private final AtomicBoolean closed = new AtomicBoolean();
  private java.util.concurrent.ScheduledExecutorService sweeper;
  private dev.tollgate.config.LiveConfig live;
  private PrometheusRegistry registry;
  private dev.tollgate.config.ConfigWatcher watcher;
  private dev.tollgate.alerts.Alerts alerts = dev.tollgate.alerts.Alerts.NONE;

  private Tollgate(
      TollgateConfig config,
      Server server,
      HttpEndpoints http,
      HealthStatusManager health,
      QuotaStore store,
      ExecutorService executor,
      AdmissionStats stats,
      QuotaService quotas,
      AtomicBoolean ready) {
    this.config = config;
    this.ready = ready;
    this.server = server;
    this.http = http;
    this.health = health;
    this.store = store;
    this.executor = executor;
    this.stats = stats;
    this.quotas = quotas;
  }

  /** Starts on the configured ports with Netty. */
  public static Tollgate start(TollgateConfig config) throws IOException {
    ExecutorService executor = grpcExecutor();
    return start(
        config,
        netty(config.server()).executor(executor),
        executor,
        true,
        Clock.systemUTC(),
        openStore(config));
  }

  /**
   * {@code store} behind a {@link dev.tollgate.quota.LeasingQuotaStore} when {@code store.leases}
   * is on and the store is Hazelcast's (closing it gives the slices back and closes {@code store}).
   */
  private static QuotaStore withLeases(TollgateConfig config, QuotaStore store, Clock clock) {
    if (config.store().leases() && store instanceof dev.tollgate.hazelcast.HazelcastQuotaStore h) {
      LOG.info("store.leases: hot keys are admitted from local slices of their budget");
      return new dev.tollgate.quota.LeasingQuotaStore(
          store, clock, () -> h.instance().getCluster().getMembers().size());
    }
    return store;
  }

  /** The quota store the configuration asks for: in-memory, or Hazelcast (member or client). */
  public static QuotaStore openStore(TollgateConfig config) {
    if (config.store().kind() == dev.tollgate.config.StoreConfig.Kind.HAZELCAST) {
      long t0 = System.nanoTime();
      var persistence =
          config.store().persistence().enabled()
              ? dev.tollgate.hazelcast.PersistentMaps.open(
                  config.store().persistence(), Clock.systemUTC())
              : null;
      com.hazelcast.core.HazelcastInstance hz;
      try {
        hz = dev.tollgate.hazelcast.HazelcastSetup.start(config.store(), persistence);
      } catch (RuntimeException e) {
        if (persistence != null) {
          persistence.close();
        }
        throw e;
      }
      hz.getMap(dev.tollgate.hazelcast.HazelcastSetup.USAGE_MAP).size(); // assign partitions now
      LOG.info(
          "hazelcast.ready: {} mode, cluster '{}', {} member(s), in {} ms",
          config.store().hazelcast().mode().name().toLowerCase(java.util.Locale.ROOT),
          config.store().hazelcast().clusterName(),
          hz.getCluster().getMembers().size(),
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
      if (persistence == null && config.store().hazelcast().mode() == StoreConfig.Mode.EMBEDDED) {
        LOG.warn(
            "persistence.off: usage lives in Hazelcast's memory only and is lost when every member"
                + " stops; set store.persistence (type: jdbc for a cluster, file for one process)");
      }
      return new dev.tollgate.hazelcast.HazelcastQuotaStore(hz, true, persistence);
    }
    return new InMemoryQuotaStore();
  }

  /**
   * Starts with the given server builder.
   *
   * @param builder a configured builder (port, transport, executor)
   * @param executor an executor to shut down on close, or null
   * @param withHttp start the HTTP endpoints on the configured port
   * @param clock time source for windows and assertions
   */
  public static Tollgate start(
      TollgateConfig config,
      ServerBuilder<?> builder,
      ExecutorService executor,
      boolean withHttp,
      Clock clock)
      throws IOException {
    return start(config, builder, executor, withHttp, clock, new InMemoryQuotaStore());
  }

  /**
   * Starts with the given server builder and quota store (closed with Tollgate).
   *
   * @param builder a configured builder (port, transport, executor)
   * @param executor an executor to shut down on close, or null
   * @param withHttp start the HTTP endpoints on the configured port
   * @param clock time source for windows and assertions
   * @param store the quota store
   */
  public static Tollgate start(
      TollgateConfig config,
      ServerBuilder<?> builder,
      ExecutorService executor,
      boolean withHttp,
      Clock clock,
      QuotaStore store)
      throws IOException {
    return start(config, builder, executor, withHttp, clock, store, new Encodings());
  }

  /**
   * Starts with the given server builder, quota store (closed with Tollgate) and tokenizers (costly
   * to load: a process that already has them, such as the demo's, shares them).
   *
   * @param builder a configured builder (port, transport, executor)
   * @param executor an executor to shut down on close, or null
   * @param withHttp start the HTTP endpoints on the configured port
   * @param clock time source for windows and assertions
   * @param store the quota store
   * @param encodings the tokenizers
   */
  public static Tollgate start(
      TollgateConfig config,
      ServerBuilder<?> builder,
      ExecutorService executor,
      boolean withHttp,
      Clock clock,
      QuotaStore store,
      Encodings encodings)
      throws IOException {
    long t0 = System.nanoTime();
    if (config.upstream().injectedBy() == UpstreamConfig.InjectedBy.ENVOY) {
      LOG.info(
          "config.upstream_key_injected_by_envoy: Check answers remove the client's authorization; "
              + "Envoy's credential_injector adds the upstream key");
    } else if (config.upstream().apiKey() == null
        || config.upstream().apiKey().reveal().isEmpty()) {
      LOG.warn(
          "config.upstream_key_empty: no upstream API key configured; allowed requests reach the "
              + "upstream without credentials");
    }
    PromptCounter counter = new PromptCounter(encodings);
    // reservations and adjusts go through the leases when on; every other use takes the store
    QuotaStore quotaStore = withLeases(config, store, clock);
    QuotaService quotas =
        new QuotaService(
            quotaStore, clock, config.store().deadline(), config.accounting().pendingTtl());
    TicketSeal seal = ticketSeal(config, store);
    NonceStore nonces =
        store instanceof dev.tollgate.hazelcast.HazelcastQuotaStore h
            ? new dev.tollgate.hazelcast.HazelcastNonceStore(h.instance())
            : new InMemoryNonceStore();
    dev.tollgate.stats.MetricLabels labels = metricLabels(config);
    AdmissionStats stats = new AdmissionStats(labels);
    ExtProcStats extProcStats = new ExtProcStats(labels);
    UsageLedger ledger = openLedger(config, store, clock);
    dev.tollgate.quota.Overrides overrides = openOverrides(store);
    dev.tollgate.alerts.Alerts alerts = startAlerts(config, store, clock);
    // what a reload replaces is derived from the live configuration; the store, ledger,
    // overrides, nonces, seal, alerts and counters above stay (the alert rules are updated)
    dev.tollgate.config.LiveConfig live = dev.tollgate.config.LiveConfig.of(config);
    live.onReplace(
        c -> {
          dev.tollgate.stats.MetricLabels l = metricLabels(c);
          stats.relabel(l);
          extProcStats.accounting().relabel(l);
        });
    java.util.function.Supplier<Admission> admission =
        live.derive(
            c ->
                new Admission(
                    c, counter, quotas, nonces, clock, stats, seal, ledger, overrides, alerts));

    HealthStatusManager health = new HealthStatusManager();
    health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.NOT_SERVING);
    ExecutorService largeBodies = largeBodyExecutor();
    ServerServiceDefinition admin =
        AdminService.create(
            live,
            quotas,
            overrides,
            live.derive(c -> java.util.Optional.of(analytics(c, ledger, store, clock))));
    Server server =
        builder
            .addService(new AuthorizationService(admission, largeBodies, LARGE_BODY_BYTES, stats))
            .addService(
                new ExternalProcessorService(
                    live,
                    quotas,
                    encodings,
                    extProcStats,
                    seal,
                    new BufferBudget(BufferBudget.DEFAULT_MAX_BYTES),
                    ledger))
            .addService(health.getHealthService())
            .addService(admin)
            .addService(ProtoReflectionServiceV1.newInstance())
            .build()
            .start();
    HttpEndpoints http = null;
    AtomicBoolean ready = new AtomicBoolean();
    Tollgate t;
    PrometheusRegistry registry = null;
    try {
      if (withHttp && config.server().httpPort() >= 0) {
        registry = new PrometheusRegistry();
        Metrics.register(registry, stats, extProcStats, quotas);
        Metrics.registerTokenCache(registry, counter.cache());
        Metrics.registerAlerts(registry, alerts.stats());
        Metrics.registerShadow(registry, stats);
        if (store instanceof dev.tollgate.hazelcast.HazelcastQuotaStore h
            && h.persistence() != null) {
          var p = h.persistence();
          Metrics.registerPersistence(
              registry, () -> p.backlog(h.instance()), p::written, p::failures);
        }
        if (quotaStore instanceof dev.tollgate.quota.LeasingQuotaStore leases) {
          Metrics.registerLeases(registry, leases);
        }
        if (ledger instanceof dev.tollgate.hazelcast.HazelcastUsageLedger l) {
          Metrics.registerLedger(registry, l::pendingCount, l::merges, l::failedMerges);
        }
        if (store instanceof dev.tollgate.hazelcast.HazelcastQuotaStore h) {
          var cluster = dev.tollgate.hazelcast.ClusterStats.watch(h.instance());
          Metrics.registerCluster(
              registry, cluster::members, cluster::migrationsCompleted, cluster::migrationsFailed);
        }
        http =
            HttpEndpoints.start(
                config.server().httpAddress(),
                config.server().httpPort(),
                registry,
                ready::get,
                new AdminJson(admin, live));
      }
      t = new Tollgate(config, server, http, health, quotaStore, executor, stats, quotas, ready);
    } catch (IOException | RuntimeException e) {
      server.shutdownNow();
      largeBodies.shutdownNow();
      alerts.close();
      closeOverrides(overrides);
      ledger.close();
      quotaStore.close();
      throw e;
    }
    t.extProcStats = extProcStats;
    t.live = live;
    t.registry = registry;
    t.ledger = ledger;
    t.overrides = overrides;
    t.alerts = alerts;
    t.startExpirySweep();
    t.largeBodies = largeBodies;
    t.markReady();
    LOG.info(
        "Tollgate serving: grpc port {}, http port {}, {} service keys, {} tiers, store {} (started in {} ms)",
        server.getPort(),
        http == null ? "off" : http.port(),
        config.keys().size(),
        config.tiers().size(),
        config.store().kind().name().toLowerCase(java.util.Locale.ROOT),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    return t;
  }

  /**
   * Alerts by {@code alerts}: claimed cluster-wide on Hazelcast (one replica sends each), in this
   * process otherwise. The replica is named by {@code HOSTNAME} (a pod's name) or the host name.
   */
  private static dev.tollgate.alerts.Alerts startAlerts(
      TollgateConfig config, QuotaStore store, Clock clock) {
    dev.tollgate.alerts.SentAlerts sent =
        store instanceof dev.tollgate.hazelcast.HazelcastQuotaStore h
            ? new dev.tollgate.hazelcast.HazelcastSentAlerts(h.instance())
            : new dev.tollgate.alerts.LocalSentAlerts();
    String cluster =
        config.store().kind() == StoreConfig.Kind.HAZELCAST
            ? config.store().hazelcast().clusterName()
            : null;
    return dev.tollgate.alerts.Alerts.start(
        config.alerts(), sent, new dev.tollgate.alerts.AlertBodies(replicaName(), cluster), clock);
  }

  private static String replicaName() {
    String host = System.getenv("HOSTNAME");
    if (host != null && !host.isBlank()) {
      return host;
    }
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (IOException | RuntimeException e) {
      return "tollgate";
    }
  }

  /**
   * The tier and model label values the metrics export under their own names: the configured tiers,
   * and the models of the price list and of every tier (any other is {@code other}).
   */
  static dev.tollgate.stats.MetricLabels metricLabels(TollgateConfig config) {
    java.util.Set<String> models = new java.util.HashSet<>(config.models().keySet());
    config.tiers().values().forEach(t -> models.addAll(t.models()));
    return dev.tollgate.stats.MetricLabels.of(config.tiers().keySet(), models);
  }

  /**
   * The usage ledger beside the quota store: on Hazelcast, aggregated in the cluster; otherwise in
   * this process. Kept for {@code store.persistence.retention_days}. Reservations that expire
   * unsettled are recorded by the expiry sweep.
   */
  private static UsageLedger openLedger(TollgateConfig config, QuotaStore store, Clock clock) {
    java.time.Duration retention =
        java.time.Duration.ofDays(Math.max(1, config.store().persistence().retentionDays()));
    if (store instanceof dev.tollgate.hazelcast.HazelcastQuotaStore h) {
      return new dev.tollgate.hazelcast.HazelcastUsageLedger(h.instance(), clock, retention);
    }
    return new InMemoryUsageLedger(clock, retention);
  }

  /**
   * Per-user and per-key limit overrides: on Hazelcast, cluster-wide (and persisted with the
   * store's persistence), read from this member's copy; otherwise in this process.
   */
  private static dev.tollgate.quota.Overrides openOverrides(QuotaStore store) {
    if (store instanceof dev.tollgate.hazelcast.HazelcastQuotaStore h) {
      return new dev.tollgate.hazelcast.HazelcastOverrides(h.instance());
    }
    return new dev.tollgate.quota.InMemoryOverrides();
  }

  private static void closeOverrides(dev.tollgate.quota.Overrides overrides) {
    if (overrides instanceof AutoCloseable c) {
      try {
        c.close();
      } catch (Exception e) {
        LOG.warn("overrides.close_failed: {}", e.toString());
      }
    }
  }

  /**
   * The analytics: with persistence on, over the database (the complete history, after this
   * replica's pending ledger changes are written), from the sums kept beside the ledger's rows (H2
   * and PostgreSQL alike). Otherwise over the ledger in memory; either way this replica's held-back
   * changes are written first, so that a report sees the last second.
   */
  private static dev.tollgate.analytics.Analytics analytics(
      TollgateConfig config, UsageLedger ledger, QuotaStore store, Clock clock) {
    if (store instanceof dev.tollgate.hazelcast.HazelcastQuotaStore h && h.persistence() != null) {
      return new dev.tollgate.analytics.Analytics(
          config.tiers(),
          h.persistence().ledgerSums(h.instance(), ledger::flush, java.time.Duration.ofSeconds(10)),
          clock);
    }
    return new dev.tollgate.analytics.Analytics(
        config.tiers(),
        (tier, from, to) -> {
          ledger.flush();
          return ledger.read(tier, from, to);
        },
        clock);
  }

  /** The seal for reservation tickets: the configured keys, else a key shared by the cluster. */
  private static TicketSeal ticketSeal(TollgateConfig config, QuotaStore store) {
    if (!config.accounting().ticketKeys().isEmpty()) {
      return new TicketSeal(config.accounting().ticketKeys());
    }
    String key;
    if (store instanceof dev.tollgate.hazelcast.HazelcastQuotaStore h) {
      key = dev.tollgate.hazelcast.ClusterSecrets.get(h.instance(), "ticket-key");
      LOG.info(
          "accounting.ticket_key: generated once for the cluster (accounting.ticket_keys not set)");
    } else {
      byte[] b = new byte[32];
      new java.security.SecureRandom().nextBytes(b);
      key = java.util.Base64.getEncoder().encodeToString(b);
    }
    return new TicketSeal(java.util.List.of(new dev.tollgate.config.Secret(key, "generated")));
  }

  /** Ends reservations whose settlement never came, by {@code accounting.pending_expiry}. */
  private void startExpirySweep() {
    long every = Math.max(1000, Math.min(30_000, config.accounting().pendingTtl().toMillis() / 4));
    boolean release =
        config.accounting().pendingExpiry()
            == dev.tollgate.config.AccountingConfig.PendingExpiry.RELEASE;
    sweeper =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread th = new Thread(r, "tollgate-expiry");
              th.setDaemon(true);
              return th;
            });
    sweeper.scheduleWithFixedDelay(
        () -> {
          try {
            int n =
                quotas.expire(
                    release, r -> dev.tollgate.accounting.Accounting.expired(ledger, r, release));
            if (n > 0) {
              LOG.info(
                  "accounting.expired: {} reservation(s) never settled within {}; {}",
                  n,
                  config.accounting().pendingTtl(),
                  release ? "released" : "kept as reserved");
            }
          } catch (RuntimeException e) {
            LOG.warn("accounting.expiry_failed: {}", e.toString());
          }
        },
        every,
        every,
        TimeUnit.MILLISECONDS);
  }

  private void markReady() {
    ready.set(true);
    health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
  }

  /** True between start-up and shutdown. */
  public boolean isReady() {
    return ready.get();
  }

  /**
   * A Netty server builder on {@code server.grpc_address} with Envoy-friendly keepalive and message
   * size.
   */
  public static NettyServerBuilder netty(ServerConfig s) {
    return netty(s, new InetSocketAddress(s.grpcAddress(), s.grpcPort()));
  }

  /** The same on another address (the harness binds loopback only). */
  public static NettyServerBuilder netty(ServerConfig s, InetSocketAddress address) {
    NettyServerBuilder b =
        NettyServerBuilder.forAddress(address)
            .permitKeepAliveTime(s.permitKeepAliveTime().toMillis(), TimeUnit.MILLISECONDS)
            .permitKeepAliveWithoutCalls(true)
            .maxInboundMessageSize(s.maxInboundMessageBytes())
            .maxInboundMetadataSize(64 * 1024);
    if (s.tls() != null) {
      b.sslContext(serverTls(s.tls()));
    }
    return b;
  }

  /**
   * The gRPC listener's TLS (HTTP/2 over TLS with ALPN {@code h2}); with a client CA, a client
   * certificate that chains to it is required. A file that does not load is named, never shown.
   */
  static SslContext serverTls(ServerConfig.Tls tls) {
    try {
      SslContextBuilder b =
          GrpcSslContexts.configure(
              SslContextBuilder.forServer(tls.certFile().toFile(), tls.keyFile().toFile()));
      if (tls.mutual()) {
        b.trustManager(tls.clientCaFile().toFile()).clientAuth(ClientAuth.REQUIRE);
      }
      return b.build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "server.tls: cannot load cert_file "
              + tls.certFile()
              + ", key_file "
              + tls.keyFile()
              + (tls.mutual() ? " or client_ca_file " + tls.clientCaFile() : "")
              + " (expected: PEM certificates and a PKCS#8 PEM private key): "
              + e.getClass().getSimpleName(),
          e);
    }
  }

  /**
   * Check bodies longer than this are admitted on {@link #largeBodyExecutor}. Below it counting
   * takes at most a few tens of milliseconds (about 30 µs per KiB of text, and at most 512 KiB of
   * long pieces merged exactly per request), so long conversations (100 KiB and more are common)
   * stay on the gRPC threads.
   */
  public static final int LARGE_BODY_BYTES = 1024 * 1024;

  /**
   * Where large Check bodies are counted: half the cores (at least one thread), a queue of 16 per
   * thread, then refusal (503, retry). A few clients sending megabytes cannot take the gRPC threads
   * that every small Check needs, nor hold more than a few bodies' worth of memory.
   */
  public static ExecutorService largeBodyExecutor() {
    int n = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    AtomicInteger id = new AtomicInteger();
    return new java.util.concurrent.ThreadPoolExecutor(
        n,
        n,
        0,
        TimeUnit.MILLISECONDS,
        new java.util.concurrent.ArrayBlockingQueue<>(16 * n),
        r -> {
          Thread t = new Thread(r, "tollgate-large-body-" + id.incrementAndGet());
          t.setDaemon(true);
          return t;
        },
        new java.util.concurrent.ThreadPoolExecutor.AbortPolicy());
  }

  /** A small fixed pool for gRPC calls (grpc's default cached pool is several times slower). */
  public static ExecutorService grpcExecutor() {
    int n = Math.max(2, Runtime.getRuntime().availableProcessors());
    AtomicInteger id = new AtomicInteger();
    return Executors.newFixedThreadPool(
        n,
        r -> {
          Thread t = new Thread(r, "tollgate-grpc-" + id.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
  }

  /** The gRPC port actually bound. */
  public int grpcPort() {
    return server.getPort();
  }

  /** The addresses the gRPC server listens on (empty for an in-process server). */
  public List<InetSocketAddress> grpcAddresses() {
    return server.getListenSockets().stream()
        .filter(InetSocketAddress.class::isInstance)
        .map(InetSocketAddress.class::cast)
        .toList();
  }

  /** The address the HTTP endpoints listen on, or null when they are off. */
  public InetSocketAddress httpAddress() {
    return http == null ? null : http.address();
  }

  /** The HTTP port actually bound, or -1. */
  public int httpPort() {
    return http == null ? -1 : http.port();
  }

  /** Accounting counters. */
  public ExtProcStats extProcStats() {
    return extProcStats;
  }

  /** Verdict counters. */
  public AdmissionStats stats() {
    return stats;
  }

  /**
   * The quota store reservations and adjusts go through: a {@link
   * dev.tollgate.quota.LeasingQuotaStore} when {@code store.leases} is on (for tests and metrics).
   */
  public QuotaStore quotaStore() {
    return store;
  }

  /** The quota service (for tests and the admin API). */
  public QuotaService quotas() {
    return quotas;
  }

  /** The limit overrides (for tests and the admin API). */
  public dev.tollgate.quota.Overrides overrides() {
    return overrides;
  }

  /**
   * The alerts: {@link dev.tollgate.alerts.Alerts#update} replaces their rules, {@link
   * dev.tollgate.alerts.Alerts#event} reports an event.
   */
  public dev.tollgate.alerts.Alerts alerts() {
    return alerts;
  }

  /** The usage ledger (for tests and the analytics API). */
  public UsageLedger ledger() {
    return ledger;
  }

  /** The configuration in use (the last one a reload applied). */
  public TollgateConfig config() {
    return live.get();
  }

  /**
   * Reloads the configuration when {@code file} or a file it reads changes (or on {@link
   * dev.tollgate.config.ConfigWatcher#reload}): keys, tiers, limits, models and prices, identity,
   * routes, request and upstream settings apply to the next request; the listeners, the store and
   * the reservations' life need a restart. The watcher stops with Tollgate; the reload metrics go
   * on {@code /metrics}; a JSON or text log format applies at once.
   *
   * @param file the configuration file this Tollgate was started from
   * @param loader reads it ({@code ConfigLoader.loadTracked} with the process environment)
   * @param adjust what start-up did to the file's configuration (port overrides), done again
   * @param poll how often the files are read without a file-system event
   */
  public synchronized dev.tollgate.config.ConfigWatcher watch(
      java.nio.file.Path file,
      dev.tollgate.config.ConfigWatcher.Loader loader,
      java.util.function.UnaryOperator<TollgateConfig> adjust,
      java.time.Duration poll) {
    if (watcher != null) {
      throw new IllegalStateException("already watching " + watcher.files());
    }
    dev.tollgate.config.ConfigWatcher w =
        new dev.tollgate.config.ConfigWatcher(file, live, loader, adjust, poll, Clock.systemUTC());
    live.onReplace(c -> LogFormats.apply(c.server().logFormat()));
    live.onReplace(c -> alerts.update(c.alerts()));
    w.onReload(
        r -> {
          if (r.outcome() == dev.tollgate.config.ReloadResult.Outcome.FAILED) {
            alerts.event(
                dev.tollgate.config.AlertEvent.RELOAD_FAILED, String.join("; ", r.errors()));
          }
        });
    if (registry != null) {
      Metrics.registerReload(registry, w);
    }
    watcher = w.start();
    return w;
  }

  /** The configuration watcher, or null when {@link #watch} was not called. */
  public synchronized dev.tollgate.config.ConfigWatcher watcher() {
    return watcher;
  }

  /** Blocks until the server terminates. */
  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  /**
   * Graceful shutdown: health NOT_SERVING, stop taking calls, let in-flight calls finish within the
   * configured grace, then close the store.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    ready.set(false);
    synchronized (this) {
      if (watcher != null) {
        watcher.close();
      }
    }
    health.enterTerminalState();
    server.shutdown();
    try {
      if (!server.awaitTermination(
          config.server().shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)) {
        server.shutdownNow();
        server.awaitTermination(2, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    if (http != null) {
      http.close();
    }
    if (sweeper != null) {
      sweeper.shutdownNow();
    }
    alerts.close();
    closeOverrides(overrides);
    // every settlement has been recorded: write what the ledger holds back before the store stops
    try {
      ledger.close();
    } catch (RuntimeException e) {
      LOG.warn("ledger.close_failed: {}", e.toString());
    }
    store.close();
    if (largeBodies != null) {
      largeBodies.shutdownNow();
    }
    if (executor != null) {
      executor.shutdown();
    }
    LOG.info("Tollgate stopped");
  }
}
