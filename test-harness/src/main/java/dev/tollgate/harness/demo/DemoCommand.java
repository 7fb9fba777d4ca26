package dev.tollgate.harness.demo;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.tollgate.auth.ServiceKeys;
import dev.tollgate.config.ConfigException;
import dev.tollgate.config.ConfigLoader;
import dev.tollgate.config.ServiceKeyConfig;
import dev.tollgate.config.TierConfig;
import dev.tollgate.config.TollgateConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./tollgate demo}: starts the mock OpenAI upstream, Tollgate (embedded Hazelcast member of
 * its own) and the Envoy emulator on loopback, then runs a short session with the official OpenAI
 * Java SDK and prints what happened. Exit code 0 when every step behaved as expected, else 1.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Start Tollgate, the Envoy emulator and a mock OpenAI upstream on loopback and run a short session,",
      "then a usage phase (simulated users, generated ledger rows labelled demo-generated) and the admin API's"
          + " usage report and limit advice.",
      "With --upstream, the emulator sends allowed requests to that OpenAI-compatible API instead, with the key in "
          + "$OPENAI_API_KEY."
    })
public final class DemoCommand implements Callable<Integer> {
  private static final String[] QUIET_LOGGERS = {"dev.tollgate", "com.hazelcast"};

  @Option(
      names = "--root",
      paramLabel = "DIR",
      defaultValue = ".",
      description = "the repository (for envoy/ and server/)")
  Path root;

  @Option(
      names = "--upstream",
      paramLabel = "URL",
      description =
          "a real OpenAI-compatible upstream, e.g. https://api.openai.com (default: the mock on loopback)")
  URI upstream;

  @Option(
      names = "--keep-running",
      description = "leave everything running after the session, until Ctrl-C")
  boolean keepRunning;

  @Option(
      names = "--users",
      paramLabel = "N",
      description =
          "simulated users of the usage phase after the session (default: "
              + DEFAULT_USERS
              + " against the mock, 0 with --upstream, where each of their requests is a real one;"
              + " 0: no usage phase and no report)")
  Integer users;

  /** Simulated users of the usage phase against the mock. */
  static final int DEFAULT_USERS = 300;

  @Option(names = "--verbose", description = "show Tollgate's and Hazelcast's logs (stderr)")
  boolean verbose;

  @Spec CommandSpec spec;

  /** The environment ($OPENAI_API_KEY); tests replace it. */
  Map<String, String> env = System.getenv();

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Path dir = root.toAbsolutePath().normalize();
    Path yaml = dir.resolve("server/tollgate.yaml");
    Path bootstrap = dir.resolve("envoy/envoy-local.yaml");
    if (!Files.isRegularFile(yaml) || !Files.isRegularFile(bootstrap)) {
      err.println(
          "demo: "
              + dir
              + " is not the Tollgate repository (expected server/tollgate.yaml and "
              + "envoy/envoy-local.yaml); pass it with --root DIR");
      return 1;
    }
    String realKey = null;
    if (upstream != null) {
      String scheme =
          upstream.getScheme() == null ? "" : upstream.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("http") && !scheme.equals("https") || upstream.getHost() == null) {
        err.println(
            "demo: --upstream "
                + upstream
                + ": expected an http or https URL, e.g. https://api.openai.com");
        return 1;
      }
      realKey = env.get("OPENAI_API_KEY");
      if (realKey == null || realKey.isBlank()) {
        err.println(
            "demo: --upstream "
                + upstream
                + " needs that API's key in $OPENAI_API_KEY, which is not set."
                + " Tollgate sends it upstream in place of the client's service key; clients never hold it.");
        return 1;
      }
      realKey = realKey.strip();
    }
    TollgateConfig base;
    try {
      base = ConfigLoader.load(yaml);
    } catch (ConfigException e) {
      err.println("demo: " + yaml + " is not a valid configuration:");
      e.errors().forEach(line -> err.println("  " + line));
      return 1;
    }
    Optional<ServiceKeyConfig> key =
        new ServiceKeys(base.keys()).authenticate("Bearer " + DemoSession.SERVICE_KEY);
    if (key.isEmpty()) {
      err.println(
          "demo: "
              + yaml
              + " has no entry for the development key '"
              + DemoSession.SERVICE_KEY
              + "' (keys[].sha256 = printf %s '"
              + DemoSession.SERVICE_KEY
              + "' | sha256sum)");
      return 1;
    }
    TierConfig tier = base.tiers().get(key.get().tier());

    List<Level> levels = verbose ? List.of() : quietLogs();
    long t0 = System.nanoTime();
    out.println(
        "Tollgate demo: the OpenAI Java SDK -> Envoy emulator -> Tollgate -> "
            + (upstream == null ? "mock OpenAI" : upstream)
            + ", on 127.0.0.1");
    out.println("starting...");
    out.flush();
    DemoStack stack;
    try {
      stack = DemoStack.start(base, bootstrap, upstream, realKey);
    } catch (IOException | RuntimeException e) {
      err.println("demo: could not start: " + e);
      restoreLogs(levels);
      return 1;
    }
    try {
      describe(out, stack, yaml, tier, realKey, t0);
      List<String> failed =
          new DemoSession(stack, stack.config().tiers().get(tier.name()), out).run();
      out.println();
      if (failed.isEmpty()) {
        out.printf("All 7 steps behaved as expected (%.1f s).%n", (System.nanoTime() - t0) / 1e9);
      } else {
        out.println("Not as expected:");
        failed.forEach(f -> out.println("  step " + f));
      }
      out.flush();
      int simulated = users != null ? users : upstream == null ? DEFAULT_USERS : 0;
      if (simulated > 0) {
        usagePhase(out, stack, tier.name(), simulated);
      } else if (users == null) {
        out.println();
        out.println(
            "No usage phase with --upstream: its hundreds of requests would be real ones (--users N"
                + " runs it anyway)");
        out.flush();
      }
      if (keepRunning) {
        keepRunning(out, stack, dir);
      }
      return failed.isEmpty() ? 0 : 1;
    } finally {
      stack.close();
      restoreLogs(levels);
    }
  }

  private void describe(
      PrintWriter out, DemoStack stack, Path yaml, TierConfig tier, String realKey, long t0) {
    out.printf("started in %.1f s:%n", (System.nanoTime() - t0) / 1e9);
    if (stack.mock() != null) {
      out.printf(
          "  mock OpenAI upstream  %s  (accepts only the upstream key, a random %s)%n",
          stack.mock().baseUrl(), mask(stack.config().upstream().apiKey().reveal()));
    } else {
      out.printf(
          "  upstream              %s  (key from $OPENAI_API_KEY: %s)%n",
          stack.upstream(), mask(realKey));
    }
    out.printf(
        "  Tollgate              gRPC 127.0.0.1:%d (ext_authz + ext_proc); quota store: embedded Hazelcast member"
            + " 127.0.0.1:%d, cluster %s, no peers%n",
        stack.tollgate().grpcPort(), stack.hazelcastPort(), DemoStack.CLUSTER);
    out.printf(
        "  configuration         %s, plus one demo limit: %s per user (tier %s)%n",
        yaml, DemoStack.DEMO_LIMIT, tier.name());
    out.printf(
        "  Envoy emulator        %s  (filters of envoy/envoy-local.yaml)%n",
        stack.envoy().baseUrl());
    out.printf(
        "  timeouts              raised for a JVM that just started: Envoy's check and message %d s (250/200 ms),"
            + " store deadline %d ms (150 ms)%n",
        DemoStack.TIMEOUT.toSeconds(), DemoStack.STORE_DEADLINE.toMillis());
    out.printf(
        "  client                OpenAI Java SDK, base URL %s, api key %s (a Tollgate service key)%n",
        stack.envoy().baseUrl(), DemoSession.SERVICE_KEY);
    out.flush();
  }

  /**
   * The usage phase (simulated users through the path, earlier days written to the ledger), what
   * the ledger holds for the month, and the admin API's report and advice on it.
   */
  private static void usagePhase(PrintWriter out, DemoStack stack, String tierName, int users)
      throws InterruptedException {
    long t0 = System.nanoTime();
    TierConfig tier = stack.config().tiers().get(tierName);
    new DemoUsage(stack, tier, out, users, SEED).run();
    LedgerTotals totals = LedgerTotals.of(stack.tollgate().ledger(), tierName);
    out.printf(
        "Ledger read directly, tier %s, %s to %s: %d active users, %d requests, %d tokens, %s, %d refusals (%d rows, %d"
            + " of them '%s')%n",
        tierName,
        totals.from(),
        totals.to(),
        totals.users(),
        totals.requests(),
        totals.tokens(),
        DemoReport.usd(totals.nanoUsd() / 1e9),
        totals.refusals(),
        totals.rows(),
        totals.generatedRows(),
        DemoUsage.GENERATED_KEY);
    out.flush();
    new DemoReport(stack, tierName, out).run(totals);
    out.printf("%nUsage phase and report: %.1f s%n", (System.nanoTime() - t0) / 1e9);
    out.flush();
  }

  /** The seed of the usage phase's draws (the same users and requests on every run). */
  static final long SEED = 20261130L;

  private static void keepRunning(PrintWriter out, DemoStack stack, Path root)
      throws InterruptedException {
    String url = stack.envoy().baseUrl();
    out.println();
    if (stack.tollgate().httpPort() > 0) {
      out.println(
          "Dashboard: http://127.0.0.1:"
              + stack.tollgate().httpPort()
              + "/dashboard  (tier default)");
      try {
        Path file = writeAdminKey(root, stack.adminKey());
        out.println(
            "  it asks for an admin key: this run's is in "
                + file
                + " (random, valid until the demo stops)");
      } catch (IOException e) {
        out.println("  could not write the admin key under target/: " + e);
      }
    }
    out.println(
        "Still running (Ctrl-C stops everything). Point any OpenAI client at "
            + url
            + " with api key "
            + DemoSession.SERVICE_KEY
            + ", or:");
    out.println(
        "  curl -s "
            + url
            + "/chat/completions -H 'authorization: Bearer "
            + DemoSession.SERVICE_KEY
            + "' \\");
    out.println("    -H 'x-on-behalf-of: carol' -H 'content-type: application/json' \\");
    out.println(
        "    -d '{\"model\": \""
            + DemoSession.MODEL
            + "\", \"max_completion_tokens\": "
            + DemoSession.MAX_OUTPUT
            + ", \"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}]}'");
    out.println(
        "(without max_completion_tokens Tollgate reserves the tier's output_reserve_tokens, more than the demo's"
            + " limit: a 429 that says the request can never fit)");
    out.flush();
    CountDownLatch stop = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              out.println("stopping...");
              out.flush();
              stack.close();
              stop.countDown();
            },
            "tollgate-demo-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    stop.await();
  }

  /** Writes the run's admin key to {@code target/tollgate-demo/admin-key} (owner-only). */
  static Path writeAdminKey(Path root, String key) throws IOException {
    Path dir = root.resolve("target/tollgate-demo");
    Files.createDirectories(dir);
    Path file = dir.resolve("admin-key");
    Files.deleteIfExists(file);
    try {
      Files.createFile(
          file,
          java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
              java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(file);
    }
    Files.writeString(file, key + "\n");
    return file;
  }

  /** A secret as it may be printed: its first characters and its length. */
  static String mask(String secret) {
    if (secret == null || secret.length() < 12) {
      return "****";
    }
    return secret.substring(0, 3) + "****" + " (" + secret.length() + " characters)";
  }

  /**
   * Tollgate's and Hazelcast's INFO lines would interleave with the transcript: WARN and above
   * only.
   */
  private static List<Level> quietLogs() {
    List<Level> before = new ArrayList<>();
    if (!(LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext)) {
      return before;
    }
    for (String name : QUIET_LOGGERS) {
      Logger l = (Logger) LoggerFactory.getLogger(name);
      before.add(l.getLevel());
      l.setLevel(Level.WARN);
    }
    return before;
  }

  private static void restoreLogs(List<Level> before) {
    for (int i = 0; i < before.size(); i++) {
      ((Logger) LoggerFactory.getLogger(QUIET_LOGGERS[i])).setLevel(before.get(i));
    }
  }
}
