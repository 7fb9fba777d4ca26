package dev.tollgate;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.rpc.Code;
import dev.tollgate.admin.v1.GetUsageRequest;
import dev.tollgate.admin.v1.GetUsageResponse;
import dev.tollgate.admin.v1.QuotaAdminGrpc;
import dev.tollgate.admin.v1.Scope;
import dev.tollgate.admin.v1.WindowUsage;
import dev.tollgate.envoy.extproc.ExtProcStreams;
import dev.tollgate.testsupport.EnvoyChecks;
import dev.tollgate.testsupport.FreePorts;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Usage survives {@code tollgate serve} restarts: separate JVMs from the packaged jar, one
 * configuration file in a temporary directory, its file database ({@code store.persistence.type:
 * file}, {@code write_delay: 1s}) in {@code data/} next to it. Usage is spent the way Envoy spends
 * it: a real ext_authz Check reserves, an ext_proc stream carrying the provider's buffered JSON
 * answer settles; it is read back with the admin API's GetUsage.
 *
 * <p>Every request is 8 prompt tokens (counted) + {@code max_tokens: 1000} reserved, and the
 * provider reports 30 prompt + 1000 completion tokens: each settles at {@value #SPENT} tokens, a
 * little more than was reserved (so that the settlement shows in GetUsage), and the tier's limits
 * are {@value #MONTH_TOKENS} tokens and $1.00 per calendar month for a user.
 */
class PersistenceProcessIT {
  private static final String ADMIN_KEY = "sk-test-admin";
  private static final long MONTH_TOKENS = 3_000;
  private static final String LIMITS =
      """
      - { scope: user, window: month, tokens: 3000 }
      - { scope: user, window: month, usd: 1.00 }
      """;

  /** Tokens one settled request costs: 30 prompt + 1000 completion, as the provider reports. */
  private static final long SPENT = 1_030;

  /** Tokens one request reserves at its Check: 8 prompt tokens counted + max_tokens 1000. */
  private static final long RESERVED = 1_008;

  private static final String CHAT =
      "{\"model\":\"gpt-4o-mini\",\"max_tokens\":%d,"
          + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  private static final String ANSWER =
      "{\"id\":\"chatcmpl-it\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-mini\","
          + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},"
          + "\"finish_reason\":\"stop\"}],"
          + "\"usage\":{\"prompt_tokens\":30,\"completion_tokens\":1000,\"total_tokens\":1030}}";

  /** USD of one settled request: 30 × $0.15 + 1000 × $0.60 per million tokens. */
  private static final double SPENT_USD = (30 * 0.15 + 1000 * 0.60) / 1e6;

  /** {@code store.persistence.write_delay}: the most a crash may lose (plus a second). */
  private static final Duration WRITE_DELAY = Duration.ofSeconds(1);

  @TempDir Path dir;

  private final List<Server> servers = new ArrayList<>();

  /** Every process a test started is killed, whatever happened. */
  @AfterEach
  void killEverything() throws InterruptedException {
    for (Server s : servers) {
      s.channel.shutdownNow();
      s.process.destroyForcibly();
    }
    for (Server s : servers) {
      s.process.waitFor(20, TimeUnit.SECONDS);
    }
  }

  /**
   * The issue's scenario: a user spent 2,060 of a 3,000-token month limit, {@code tollgate serve}
   * was stopped with SIGTERM and started again, and a 1,000-token request was allowed. Now the stop
   * logs {@code persistence.flushed}; after the start GetUsage shows the same month tokens and
   * dollars, the 1,000-token request (8 + 992) is refused with 429, and a 508-token one (8 + 500)
   * fits.
   */
  @Test
  void usageSurvivesSigtermAndTheIssuesRequestIsRefused() throws Exception {
    Path config = config("tollgate.yaml");
    Server first = start(config, "first.log");
    spend(first, "alice");
    spend(first, "alice");
    Usage before = usage(first, "alice");
    assertEquals(2 * SPENT, before.tokens);
    assertEquals(2 * SPENT_USD, before.usd, 1e-9);

    stop(first);
    String log = Files.readString(first.log);
    assertTrue(log.contains("persistence.ready"), log);
    assertTrue(log.contains("persistence.flushed"), log);
    assertTrue(
        Files.isRegularFile(dir.resolve("data").resolve("tollgate.mv.db")),
        "the file database is in data/ next to the config file");

    Server second = start(config, "second.log");
    CheckResponse big = check(second, "alice", 992);
    assertEquals(Code.RESOURCE_EXHAUSTED_VALUE, big.getStatus().getCode(), big.toString());
    assertEquals(429, big.getDeniedResponse().getStatus().getCodeValue(), big.toString());
    Usage after = usage(second, "alice");
    assertEquals(before.tokens, after.tokens, "month tokens survive the restart");
    assertEquals(before.usd, after.usd, 0.0, "month dollars survive the restart");
    CheckResponse small = check(second, "alice", 500);
    assertEquals(Code.OK_VALUE, small.getStatus().getCode(), small.toString());
    assertEquals(2 * SPENT + 508, usage(second, "alice").tokens);
    stop(second);
  }

  /**
   * SIGKILL loses at most the write-behind window. Phase A (one request) is spent and waited for
   * until the process reports it written ({@code tollgate_persistence_backlog} 0 and {@code
   * tollgate_persistence_written_total} above 0 on /metrics, after GetUsage showed it settled, then
   * one more {@code write_delay} for a batch still being written); phase B (one more request,
   * reserved then settled) is spent and the process is killed at once. After a start on the same
   * file database the usage is one the process held: A, A + B's reservation or A + B — so at least
   * A and at most A + B tokens and dollars, and never zero.
   */
  @Test
  void sigkillLosesAtMostTheWriteBehindWindow() throws Exception {
    Path config = config("tollgate.yaml");
    Server first = start(config, "first.log");
    spend(first, "bob"); // phase A
    await()
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () ->
                metric(first, "tollgate_persistence_backlog") == 0
                    && metric(first, "tollgate_persistence_written_total") > 0);
    // a batch leaves the backlog when it is taken, before its write ends: one more write_delay
    Thread.sleep(WRITE_DELAY.toMillis());
    spend(first, "bob"); // phase B
    assertEquals(2 * SPENT, usage(first, "bob").tokens);
    first.process.destroyForcibly(); // SIGKILL: no shutdown hook, no flush
    assertTrue(first.process.waitFor(20, TimeUnit.SECONDS));
    assertNotEquals(0, first.process.exitValue());
    assertFalse(Files.readString(first.log).contains("persistence.flushed"));

    Server second = start(config, "second.log");
    Usage after = usage(second, "bob");
    System.out.println("after SIGKILL: restored " + after + " (A = " + SPENT + " tokens)");
    assertTrue(
        Set.of(SPENT, SPENT + RESERVED, 2 * SPENT).contains(after.tokens),
        "restored " + after.tokens + " tokens: A (" + SPENT + ") up to A + B (" + 2 * SPENT + ")");
    assertTrue(after.usd >= SPENT_USD - 1e-9, "restored $" + after.usd + " >= A");
    assertTrue(after.usd <= 2 * SPENT_USD + 1e-9, "restored $" + after.usd + " <= A + B");
    stop(second);
  }

  /**
   * A file database belongs to one process: a second {@code tollgate serve} on the same data
   * directory (another config file in the same directory, other ports) exits with status 1 and one
   * line, {@code persistence.unavailable} naming the cause (no stack trace), before it starts its
   * Hazelcast member; the first keeps serving with its usage intact, also after its own restart.
   */
  @Test
  void aSecondProcessOnTheSameDataDirectoryFailsToStart() throws Exception {
    Server first = start(config("tollgate.yaml"), "first.log");
    spend(first, "carol");

    Server second = launch(config("tollgate-2.yaml"), "second.log");
    assertTrue(second.process.waitFor(90, TimeUnit.SECONDS), "the second process exits");
    String log = Files.readString(second.log);
    assertEquals(1, second.process.exitValue(), log);
    assertFalse(log.contains("\tat dev.tollgate."), "one clear line, no stack trace: " + log);
    assertTrue(log.contains("persistence.unavailable"), log);
    assertTrue(log.contains("another Tollgate process"), log);
    assertFalse(log.contains("hazelcast.ready"), "it stops before joining anything: " + log);

    assertEquals(SPENT, usage(first, "carol").tokens);
    spend(first, "carol");
    stop(first);
    Server again = start(first.config, "again.log");
    assertEquals(2 * SPENT, usage(again, "carol").tokens);
    stop(again);
  }

  // --- processes

  /** One {@code tollgate serve} process and its ports. */
  private record Server(
      Process process, Path config, Path log, int grpc, int http, ManagedChannel channel) {}

  /**
   * A config file in the test's directory (so its data directory is {@code dir/data}), with an
   * admin key, the month limits and a lone embedded member on a free port.
   */
  private Path config(String name) throws Exception {
    String yaml =
        TestConfigs.yaml(LIMITS, "hazelcast", "deny")
            .replace(
                "keys:\n",
                "keys:\n  - { name: ops, sha256: \""
                    + TestConfigs.sha256(ADMIN_KEY)
                    + "\", tier: default, role: admin }\n")
            .replace(
                "store: { type: hazelcast,",
                "store: { type: hazelcast, hazelcast: { cluster_name: it-"
                    + System.nanoTime()
                    + ", port: "
                    + FreePorts.freePort()
                    + " }, persistence: { type: file, write_delay: "
                    + WRITE_DELAY.toSeconds()
                    + "s },");
    Path config = dir.resolve(name);
    Files.writeString(config, yaml);
    return config;
  }

  /** Starts a process and waits until it serves. */
  private Server start(Path config, String logName) throws Exception {
    Server s = launch(config, logName);
    ClusterServeIT.awaitServing(s.channel, s.process, s.log);
    return s;
  }

  private Server launch(Path config, String logName) throws Exception {
    int grpc = FreePorts.freePort();
    int http = FreePorts.freePort();
    Path log = dir.resolve(logName);
    List<String> cmd = ServeProcessIT.javaCommand();
    cmd.addAll(
        List.of(
            "-jar",
            ServeProcessIT.serverJar().toString(),
            "serve",
            "--config",
            config.toString(),
            "--grpc-port",
            Integer.toString(grpc),
            "--http-port",
            Integer.toString(http)));
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("UPSTREAM", TestConfigs.UPSTREAM_KEY);
    Process p = pb.start();
    Server s =
        new Server(
            p,
            config,
            log,
            grpc,
            http,
            NettyChannelBuilder.forAddress("127.0.0.1", grpc).usePlaintext().build());
    servers.add(s);
    return s;
  }

  /** SIGTERM, as on Ctrl-C or a Kubernetes stop; waits for the exit. */
  private static void stop(Server s) throws Exception {
    s.channel.shutdownNow();
    s.process.destroy();
    assertTrue(
        s.process.waitFor(40, TimeUnit.SECONDS),
        "exits after SIGTERM:\n" + Files.readString(s.log));
    String log = Files.readString(s.log);
    assertTrue(log.contains("Tollgate stopped"), log);
  }

  // --- requests

  /** An ext_authz Check for {@code user}: 8 prompt tokens + {@code maxTokens}. */
  private static CheckResponse check(Server s, String user, int maxTokens) {
    return AuthorizationGrpc.newBlockingStub(s.channel)
        .withDeadlineAfter(5, TimeUnit.SECONDS)
        .check(
            EnvoyChecks.post("/v1/chat/completions")
                .bearer(TestConfigs.SERVICE_KEY)
                .header("x-on-behalf-of", user)
                .json(CHAT.formatted(maxTokens))
                .build());
  }

  /**
   * One request as Envoy carries it: a Check reserves {@value #RESERVED} tokens, an ext_proc stream
   * with the provider's JSON answer settles it at {@value #SPENT}; returns once GetUsage shows the
   * settlement.
   */
  private static void spend(Server s, String user) throws Exception {
    long before = usage(s, user).tokens;
    CheckResponse r = check(s, user, 1000);
    assertEquals(Code.OK_VALUE, r.getStatus().getCode(), r.toString());
    assertEquals(before + RESERVED, usage(s, user).tokens, "reserved at the Check");
    Struct md = r.getDynamicMetadata();
    ExtProcStreams m = new ExtProcStreams(md);
    process(
        s.channel,
        List.of(
            m.requestHeaders("/v1/chat/completions", false),
            m.requestBody(CHAT.formatted(1000).getBytes(StandardCharsets.UTF_8)),
            m.responseHeaders(200, "application/json", null, false),
            m.responseBody(ANSWER.getBytes(StandardCharsets.UTF_8), true)));
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(50))
        .untilAsserted(
            () -> assertEquals(before + SPENT, usage(s, user).tokens, "settled by ext_proc"));
  }

  /** One ext_proc stream: every message, one reply each, then a half-close. */
  private static void process(ManagedChannel ch, List<ProcessingRequest> messages)
      throws Exception {
    LinkedBlockingQueue<ProcessingResponse> replies = new LinkedBlockingQueue<>();
    CountDownLatch closed = new CountDownLatch(1);
    StreamObserver<ProcessingRequest> in =
        ExternalProcessorGrpc.newStub(ch)
            .withDeadlineAfter(20, TimeUnit.SECONDS)
            .process(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ProcessingResponse value) {
                    replies.add(value);
                  }

                  @Override
                  public void onError(Throwable t) {
                    closed.countDown();
                  }

                  @Override
                  public void onCompleted() {
                    closed.countDown();
                  }
                });
    for (ProcessingRequest m : messages) {
      in.onNext(m);
      ProcessingResponse r = replies.poll(5, TimeUnit.SECONDS);
      assertTrue(r != null, "a reply to " + m.getRequestCase());
      assertEquals(m.getRequestCase().name(), r.getResponseCase().name());
    }
    in.onCompleted();
    assertTrue(closed.await(5, TimeUnit.SECONDS), "the stream ends");
  }

  /** A user's month usage. */
  private record Usage(long tokens, double usd) {}

  /** The admin API's GetUsage for {@code user}'s month windows. */
  private static Usage usage(Server s, String user) {
    Metadata auth = new Metadata();
    auth.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + ADMIN_KEY);
    GetUsageResponse r =
        QuotaAdminGrpc.newBlockingStub(s.channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth))
            .withDeadlineAfter(5, TimeUnit.SECONDS)
            .getUsage(
                GetUsageRequest.newBuilder()
                    .setScope(Scope.USER)
                    .setId(user)
                    .setTier("default")
                    .build());
    long tokens = -1;
    double usd = -1;
    for (WindowUsage w : r.getWindowsList()) {
      assertEquals("month", w.getWindow(), r.toString());
      if (w.getUnit().equals("tokens")) {
        assertEquals(MONTH_TOKENS, (long) w.getLimit());
        tokens = (long) w.getUsed();
      } else {
        usd = w.getUsed();
      }
    }
    assertTrue(tokens >= 0 && usd >= 0, r.toString());
    return new Usage(tokens, usd);
  }

  /** A sample's value on /metrics (the first one of that name). */
  private static double metric(Server s, String name) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.http + "/metrics"))
                    .timeout(Duration.ofSeconds(5))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(name) + "(?:\\{[^}]*})? (\\S+)$").matcher(r.body());
    assertTrue(m.find(), name + " in\n" + r.body());
    return Double.parseDouble(m.group(1));
  }
}
