package dev.tollgate;

import dev.tollgate.cli.Cli;
import dev.tollgate.config.ConfigException;
import dev.tollgate.config.ConfigLoader;
import dev.tollgate.config.ServerConfig;
import dev.tollgate.config.TollgateConfig;
import dev.tollgate.persistence.PersistenceException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code tollgate} command line. Wiring only. */
@Command(
    name = "tollgate",
    mixinStandardHelpOptions = true,
    version = "tollgate 0.1.0",
    description = {
      "Token-quota gateway for OpenAI-compatible APIs (Envoy ext_authz + ext_proc).",
      "usage, report, top, advise, override and reset call a running Tollgate's admin API"
          + " (--address, admin key from --key-file or $TOLLGATE_ADMIN_KEY)."
    },
    subcommands = {Main.Serve.class, Main.Validate.class})
public final class Main {

  /** Entry point. */
  public static void main(String[] args) {
    System.exit(run(args, System.getenv(), System.in, null, null));
  }

  /**
   * Runs {@code tollgate args} with this environment and these streams (null: the process's) and
   * returns the exit code.
   */
  public static int run(
      String[] args, Map<String, String> env, InputStream stdin, PrintWriter out, PrintWriter err) {
    CommandLine cl = commandLine(env, stdin);
    if (out != null) {
      cl.setOut(out);
    }
    if (err != null) {
      cl.setErr(err);
    }
    int refused = Cli.refuseKeyFlags(args, cl.getErr());
    return refused >= 0 ? refused : cl.execute(args);
  }

  /** {@code tollgate}: serve, validate, the admin verbs ({@link Cli}) and help. */
  public static CommandLine commandLine(Map<String, String> env, InputStream stdin) {
    CommandLine cl = Cli.install(new CommandLine(new Main(), Cli.factory(env, stdin)));
    cl.addSubcommand(new CommandLine.HelpCommand());
    return cl;
  }

  /** How often {@code serve} reads its configuration files without a file-system event. */
  static final java.time.Duration RELOAD_POLL = java.time.Duration.ofSeconds(5);

  /** {@code tollgate serve}. */
  @Command(
      name = "serve",
      mixinStandardHelpOptions = true,
      description = "Run Tollgate: ext_authz, ext_proc, health and reflection on one gRPC port.")
  static final class Serve implements Callable<Integer> {
    @Option(
        names = "--config",
        paramLabel = "PATH",
        defaultValue = "${env:TOLLGATE_CONFIG:-tollgate.yaml}",
        description = "configuration file (default: $TOLLGATE_CONFIG or tollgate.yaml)")
    Path config;

    @Option(names = "--grpc-port", paramLabel = "N", description = "override server.grpc_port")
    Integer grpcPort;

    @Option(
        names = "--http-port",
        paramLabel = "N",
        description = "override server.http_port (-1: off)")
    Integer httpPort;

    @Override
    public Integer call() throws Exception {
      TollgateConfig cfg;
      try {
        cfg = withPorts(ConfigLoader.load(config), grpcPort, httpPort);
      } catch (ConfigException e) {
        e.errors().forEach(System.err::println);
        return 2;
      }
      LogFormats.apply(cfg.server().logFormat());
      Tollgate tollgate;
      try {
        tollgate = Tollgate.start(cfg);
      } catch (PersistenceException e) {
        // an operator's problem (the database is locked, down or its schema is newer), not a bug:
        // its message names the cause, a stack trace would bury it
        System.err.println(e.getMessage());
        return 1;
      }
      Runtime.getRuntime().addShutdownHook(new Thread(tollgate::close, "tollgate-shutdown"));
      var watcher =
          tollgate.watch(
              config,
              f -> ConfigLoader.loadTracked(f, System.getenv()),
              c -> withPorts(c, grpcPort, httpPort),
              RELOAD_POLL);
      Hangup.install(() -> watcher.reload("SIGHUP"));
      tollgate.awaitTermination();
      return 0;
    }
  }

  /** {@code tollgate validate}. */
  @Command(
      name = "validate",
      mixinStandardHelpOptions = true,
      description =
          "Check a configuration file: exit 0 if valid, else print every error and exit 2.")
  static final class Validate implements Callable<Integer> {
    @Option(
        names = "--config",
        paramLabel = "PATH",
        defaultValue = "${env:TOLLGATE_CONFIG:-tollgate.yaml}",
        description = "configuration file")
    Path config;

    @Override
    public Integer call() {
      try {
        TollgateConfig cfg = ConfigLoader.load(config);
        System.out.println(
            config
                + ": ok ("
                + cfg.keys().size()
                + " keys, "
                + cfg.models().size()
                + " models, "
                + cfg.tiers().size()
                + " tiers)");
        return 0;
      } catch (ConfigException e) {
        e.errors().forEach(System.err::println);
        return 2;
      }
    }
  }

  static TollgateConfig withPorts(TollgateConfig c, Integer grpcPort, Integer httpPort) {
    if (grpcPort == null && httpPort == null) {
      return c;
    }
    ServerConfig s = c.server();
    ServerConfig ns =
        s.withPorts(
            grpcPort != null ? grpcPort : s.grpcPort(), httpPort != null ? httpPort : s.httpPort());
    return new TollgateConfig(
        c.source(),
        c.upstream(),
        c.keys(),
        c.identity(),
        c.models(),
        c.tiers(),
        c.routes(),
        ns,
        c.store(),
        c.accounting(),
        c.request(),
        c.alerts());
  }
}
