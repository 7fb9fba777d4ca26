package dev.tollgate.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import com.google.rpc.Code;
import dev.tollgate.Main;
import dev.tollgate.TestConfigs;
import dev.tollgate.Tollgate;
import dev.tollgate.admin.v1.AdviseLimitsRequest;
import dev.tollgate.admin.v1.AdviseLimitsResponse;
import dev.tollgate.admin.v1.GetUsageResponse;
import dev.tollgate.admin.v1.ListOverridesRequest;
import dev.tollgate.admin.v1.ListOverridesResponse;
import dev.tollgate.admin.v1.QuotaAdminGrpc;
import dev.tollgate.admin.v1.TopUsersRequest;
import dev.tollgate.admin.v1.TopUsersResponse;
import dev.tollgate.admin.v1.UsageReportRequest;
import dev.tollgate.admin.v1.UsageReportResponse;
import dev.tollgate.config.TollgateConfig;
import dev.tollgate.ledger.LedgerKey;
import dev.tollgate.quota.InMemoryQuotaStore;
import dev.tollgate.testsupport.EnvoyChecks;
import dev.tollgate.testsupport.FreePorts;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The admin verbs against a real Tollgate started in-process on a loopback port, with an admin key:
 * the output people read, {@code --json}, where the key comes from, and the exit codes.
 */
class CliTest {
  static final String ADMIN_KEY = "sk-test-admin-0123456789";

  @TempDir static Path dir;
  static Tollgate tollgate;
  static String address;
  static Path keyFile;
  static ManagedChannel channel;
  static QuotaAdminGrpc.QuotaAdminBlockingStub admin;

  /** One run of {@code tollgate ...}. */
  record Run(int code, String out, String err) {
    @Override
    public String toString() {
      return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  static TollgateConfig config() {
    String yaml =
        TestConfigs.yaml(TestConfigs.DEFAULT_LIMITS, "memory", "deny")
            .replace(
                "  - { name: batch,",
                "  - { name: admin, sha256: \""
                    + TestConfigs.sha256(ADMIN_KEY)
                    + "\", tier: default, role: admin }\n  - { name: batch,");
    return TestConfigs.parse(yaml);
  }

  @BeforeAll
  static void start() throws Exception {
    TollgateConfig config = config();
    tollgate =
        Tollgate.start(
            config,
            Tollgate.netty(
                config.server(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)),
            null,
            false,
            Clock.systemUTC(),
            new InMemoryQuotaStore());
    address = "127.0.0.1:" + tollgate.grpcPort();
    keyFile = dir.resolve("admin.key");
    Files.writeString(keyFile, ADMIN_KEY + "\n");
    channel = NettyChannelBuilder.forTarget(address).usePlaintext().build();
    Metadata h = new Metadata();
    h.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + ADMIN_KEY);
    admin =
        QuotaAdminGrpc.newBlockingStub(channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h));
  }

  @AfterAll
  static void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (tollgate != null) {
      tollgate.close();
    }
  }

  @BeforeEach
  void clean() {
    for (String user : List.of("alice", "bob", "carol")) {
      run("reset", user);
    }
  }

  /** {@code tollgate args} with the key from {@link #keyFile} and the server's address. */
  static Run run(String... args) {
    List<String> a = new ArrayList<>(List.of(args));
    a.addAll(List.of("--address", address, "--key-file", keyFile.toString()));
    return runWith(Map.of(), "", a.toArray(String[]::new));
  }

  static Run runWith(Map<String, String> env, String stdin, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        Main.run(
            args,
            env,
            new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
            new PrintWriter(out, true),
            new PrintWriter(err, true));
    return new Run(code, out.toString(), err.toString());
  }

  static <T extends Message> T json(Run r, T.Builder b) throws Exception {
    assertEquals(0, r.code(), r.toString());
    JsonFormat.parser().merge(r.out(), b);
    @SuppressWarnings("unchecked")
    T t = (T) b.build();
    return t;
  }

  /** One line on stderr, starting {@code tollgate: }, and nothing on stdout. */
  static void assertOneLineError(Run r, int code) {
    assertEquals(code, r.code(), r.toString());
    assertTrue(r.err().startsWith("tollgate: "), r.toString());
    assertEquals(1, r.err().lines().count(), r.toString());
    assertFalse(r.err().contains("\tat "), r.toString());
    assertEquals("", r.out(), r.toString());
  }

  /** Skips the test only while the server answers {@code method} with UNIMPLEMENTED. */
  static void assumeImplemented(String method, Consumer<QuotaAdminGrpc.QuotaAdminBlockingStub> c) {
    boolean unimplemented = false;
    try {
      c.accept(admin.withDeadlineAfter(5, TimeUnit.SECONDS));
    } catch (StatusRuntimeException e) {
      unimplemented = e.getStatus().getCode() == Status.Code.UNIMPLEMENTED;
    }
    assumeFalse(
        unimplemented,
        "the server answers "
            + method
            + " with UNIMPLEMENTED (its server side has not landed): skipped until it does");
  }

  /** A real admission for {@code user}: reserves its prompt and output reserve. */
  static void admit(String user) {
    var r =
        AuthorizationGrpc.newBlockingStub(channel)
            .withDeadlineAfter(5, TimeUnit.SECONDS)
            .check(
                EnvoyChecks.post("/v1/chat/completions")
                    .bearer(TestConfigs.SERVICE_KEY)
                    .header("x-on-behalf-of", user)
                    .json(
                        "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
                    .build());
    assertEquals(Code.OK_VALUE, r.getStatus().getCode(), r.toString());
  }

  static long used(String user, String window) throws Exception {
    GetUsageResponse u = json(run("usage", user, "--json"), GetUsageResponse.newBuilder());
    return u.getWindowsList().stream()
        .filter(w -> w.getWindow().equals(window))
        .mapToLong(w -> Math.round(w.getUsed()))
        .findFirst()
        .orElseThrow();
  }

  // ---- usage, reset ---------------------------------------------------------------------------

  @Test
  void usageShowsEveryWindowOfTheTier() {
    admit("alice");
    Run r = run("usage", "alice");
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().startsWith("user:alice (tier default)\n"), r.toString());
    assertTrue(r.out().contains("WINDOW  UNIT"), r.toString());
    assertTrue(r.out().matches("(?s).*5m\\s+tokens\\s+20,000\\s+[1-9][\\d,]*\\s.*"), r.toString());
    assertTrue(r.out().contains("200,000"), r.toString());
    assertTrue(r.out().contains("$5.00"), r.toString());
    assertEquals("", r.err());
  }

  @Test
  void usageJsonIsTheResponse() throws Exception {
    admit("alice");
    GetUsageResponse u = json(run("usage", "alice", "--json"), GetUsageResponse.newBuilder());
    assertEquals("user:alice", u.getQuotaKey());
    assertEquals(
        List.of("5m", "1d", "month"), u.getWindowsList().stream().map(w -> w.getWindow()).toList());
    assertTrue(u.getWindows(0).getUsed() > 0, u.toString());
  }

  @Test
  void usageOfTheGlobalCounterTakesNoId() throws Exception {
    Run r = run("usage", "--scope", "global");
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().startsWith("global (tier default)"), r.toString());
    assertTrue(r.out().contains("250,000"), r.toString());
    assertOneLineError(run("usage", "alice", "--scope", "global"), Exits.USAGE);
    assertOneLineError(run("usage"), Exits.USAGE);
  }

  @Test
  void resetForgetsTheUsage() throws Exception {
    admit("bob");
    assertTrue(used("bob", "1d") > 0);
    Run r = run("reset", "bob");
    assertEquals(0, r.code(), r.toString());
    assertEquals("reset user:bob\n", r.out());
    assertEquals(0, used("bob", "1d"));
  }

  @Test
  void anUnknownTierIsRejectedByTheServer() {
    Run r = run("usage", "alice", "--tier", "nosuch");
    assertOneLineError(r, Exits.REJECTED);
    assertTrue(r.err().contains("nosuch"), r.toString());
  }

  // ---- the admin key ------------------------------------------------------------------------

  @Test
  void theKeyComesFromTheEnvironment() {
    Run r =
        runWith(
            Map.of(AdminOptions.KEY_ENV, ADMIN_KEY, AdminOptions.ADDRESS_ENV, address),
            "",
            "usage",
            "alice");
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().startsWith("user:alice"), r.toString());
  }

  @Test
  void theKeyFileWinsOverTheEnvironment() {
    Map<String, String> env = Map.of(AdminOptions.KEY_ENV, "sk-wrong");
    assertEquals(
        0,
        runWith(env, "", "reset", "alice", "--address", address, "--key-file", keyFile.toString())
            .code());
    assertOneLineError(
        runWith(env, "", "reset", "alice", "--address", address), Exits.UNAUTHORIZED);
  }

  @Test
  void theKeyComesFromStandardInput() {
    Run r =
        runWith(
            Map.of(), ADMIN_KEY + "\n", "reset", "alice", "--address", address, "--key-file", "-");
    assertEquals(0, r.code(), r.toString());
  }

  @Test
  void withoutAKeyNothingIsCalled() {
    Run r = runWith(Map.of(), "", "usage", "alice", "--address", address);
    assertOneLineError(r, Exits.USAGE);
    assertTrue(
        r.err().contains("--key-file") && r.err().contains("TOLLGATE_ADMIN_KEY"), r.toString());
    Run missing =
        runWith(
            Map.of(),
            "",
            "usage",
            "alice",
            "--key-file",
            "sk-pasted-by-mistake",
            "--address",
            address);
    assertOneLineError(missing, Exits.USAGE);
    assertFalse(missing.err().contains("sk-pasted-by-mistake"), missing.toString());
  }

  @Test
  void aWrongKeyIsUnauthorized() throws Exception {
    Path wrong = dir.resolve("wrong.key");
    Files.writeString(wrong, "sk-not-a-key\n");
    Run r =
        runWith(
            Map.of(), "", "usage", "alice", "--address", address, "--key-file", wrong.toString());
    assertOneLineError(r, Exits.UNAUTHORIZED);
    assertTrue(r.err().contains("UNAUTHENTICATED"), r.toString());
    // a valid key without role admin
    Run service =
        runWith(
            Map.of(AdminOptions.KEY_ENV, TestConfigs.SERVICE_KEY),
            "",
            "reset",
            "alice",
            "--address",
            address);
    assertOneLineError(service, Exits.UNAUTHORIZED);
    assertTrue(service.err().contains("PERMISSION_DENIED"), service.toString());
  }

  @Test
  void noVerbAcceptsTheKeyOnTheCommandLine() {
    String secret = "sk-test-admin-0123456789";
    List<List<String>> verbs =
        List.of(
            List.of("usage", "alice"),
            List.of("report"),
            List.of("top"),
            List.of("advise"),
            List.of("override", "set", "alice", "--tokens", "1d=1"),
            List.of("override", "clear", "alice"),
            List.of("override", "list"),
            List.of("reset", "alice"));
    for (List<String> verb : verbs) {
      for (List<String> flag :
          List.of(
              List.of("--key", secret),
              List.of("--key=" + secret),
              List.of("--admin-key", secret),
              List.of("--token", secret))) {
        List<String> args = new ArrayList<>(verb);
        args.addAll(flag);
        args.addAll(List.of("--address", address));
        Run r = runWith(Map.of(), "", args.toArray(String[]::new));
        assertOneLineError(r, Exits.USAGE);
        assertFalse(r.err().contains(secret), r.toString());
      }
    }
    // and no option of any verb but --key-file (a path) names a key
    CommandLine cl = Main.commandLine(Map.of(), System.in);
    List<CommandSpec> specs = new ArrayList<>();
    collect(cl, specs);
    int admins = 0;
    for (CommandSpec s : specs) {
      if (s.userObject() instanceof AdminCommand) {
        admins++;
        for (OptionSpec o : s.options()) {
          for (String n : o.names()) {
            if (n.toLowerCase().contains("key") || n.toLowerCase().contains("token")) {
              assertTrue(
                  List.of("--key-file", "--key-file-tls", "--tokens").contains(n),
                  s.qualifiedName() + " " + n);
            }
          }
        }
      }
    }
    assertEquals(8, admins);
  }

  private static void collect(CommandLine cl, List<CommandSpec> out) {
    out.add(cl.getCommandSpec());
    cl.getSubcommands().values().forEach(c -> collect(c, out));
  }

  // ---- errors -------------------------------------------------------------------------------

  @Test
  void anUnreachableAddressExits3() {
    int port = FreePorts.freePort();
    Run r =
        runWith(
            Map.of(AdminOptions.KEY_ENV, ADMIN_KEY),
            "",
            "usage",
            "alice",
            "--address",
            "127.0.0.1:" + port);
    assertOneLineError(r, Exits.UNREACHABLE);
    assertTrue(r.err().contains("cannot reach 127.0.0.1:" + port), r.toString());
  }

  @Test
  void aServerThatDoesNotAnswerExits3() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Run r =
          runWith(
              Map.of(AdminOptions.KEY_ENV, ADMIN_KEY),
              "",
              "usage",
              "alice",
              "--timeout",
              "300ms",
              "--address",
              "127.0.0.1:" + silent.getLocalPort());
      assertOneLineError(r, Exits.UNREACHABLE);
    }
  }

  @Test
  void badArgumentsExit2WithOneLine() {
    List<List<String>> bad =
        List.of(
            List.of("usage", "alice", "--scope", "planet"),
            List.of("usage", "alice", "bob"),
            List.of("usage", "alice", "--nope"),
            List.of("report", "--period", "year"),
            List.of("report", "--from", "2026-13-01"),
            List.of("report", "--from", "2026-11-10", "--to", "2026-11-01"),
            List.of("top", "--by", "vibes"),
            List.of("top", "--limit", "0"),
            List.of("advise", "--percentile", "0"),
            List.of("advise", "--headroom", "0.5"),
            List.of("override"),
            List.of("override", "set", "alice"),
            List.of("override", "set", "alice", "--tokens", "1d"),
            List.of("override", "set", "alice", "--usd", "month=five"),
            List.of("override", "set", "alice", "--scope", "global", "--tokens", "1d=1"),
            List.of("override", "clear"),
            List.of("reset"),
            List.of("usage", "alice", "--timeout", "soon"));
    for (List<String> args : bad) {
      assertOneLineError(run(args.toArray(String[]::new)), Exits.USAGE);
    }
    assertOneLineError(
        runWith(
            Map.of(AdminOptions.KEY_ENV, ADMIN_KEY),
            "",
            "usage",
            "alice",
            "--address",
            "localhost"),
        Exits.USAGE);
  }

  @Test
  void everyVerbHasHelp() {
    Run root = runWith(Map.of(), "", "--help");
    assertEquals(0, root.code(), root.toString());
    for (String verb : List.of("usage", "report", "top", "advise", "override", "reset")) {
      assertTrue(root.out().contains("  " + verb + " "), verb + "\n" + root.out());
    }
    for (String verb :
        List.of(
            "usage",
            "report",
            "top",
            "advise",
            "override set",
            "override clear",
            "override list",
            "reset")) {
      Run r = runWith(Map.of(), "", (verb + " --help").split(" "));
      assertEquals(0, r.code(), r.toString());
      assertTrue(r.out().contains("--key-file"), r.toString());
    }
    Run group = runWith(Map.of(), "", "override", "--help");
    assertEquals(0, group.code(), group.toString());
    assertTrue(group.out().contains("set") && group.out().contains("list"), group.toString());
  }

  // ---- analytics (skipped only while the server answers UNIMPLEMENTED) -----------------------

  /** alice and bob used gpt-4o-mini today; bob was refused once by user:1d. */
  static LocalDate seedLedger(String tier) {
    long now = System.currentTimeMillis();
    var ledger = tollgate.ledger();
    ledger.settled(LedgerKey.of(now, tier, "alice", "web", "gpt-4o-mini"), 1000, 0, 500, 450_000L);
    ledger.settled(LedgerKey.of(now, tier, "bob", "web", "gpt-4o-mini"), 3000, 0, 1000, 1_050_000L);
    ledger.refused(LedgerKey.of(now, tier, "bob", "web", "gpt-4o-mini"), "user", "1d");
    ledger.flush();
    return LocalDate.now(ZoneOffset.UTC);
  }

  static final Map<String, Boolean> SEEDED = new HashMap<>();

  static synchronized LocalDate seeded() {
    if (SEEDED.put("default", true) == null) {
      seedLedger("default");
    }
    return LocalDate.now(ZoneOffset.UTC);
  }

  @Test
  void reportShowsTheTiersUsage() throws Exception {
    assumeImplemented(
        "UsageReport",
        s -> s.usageReport(UsageReportRequest.newBuilder().setTier("default").build()));
    LocalDate today = seeded();
    Run r = run("report", "--tier", "default", "--period", "month");
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().startsWith("tier default, per month, "), r.toString());
    assertTrue(r.out().contains("active users  2\n"), r.toString());
    assertTrue(r.out().contains("gpt-4o-mini"), r.toString());
    assertTrue(r.out().contains("user 1d"), r.toString());
    assertTrue(r.out().contains(today.toString()), r.toString());
    UsageReportResponse j =
        json(run("report", "--tier", "default", "--json"), UsageReportResponse.newBuilder());
    assertEquals(2, j.getActiveUsers(), j.toString());
    assertEquals(2, j.getTotalRequests(), j.toString());
    assertEquals(5500, j.getTotalTokens(), j.toString());
    Run day =
        run("report", "--period", "day", "--from", today.toString(), "--to", today.toString());
    assertEquals(0, day.code(), day.toString());
    assertTrue(
        day.out().startsWith("tier default, per day, " + today + " to " + today), day.toString());
  }

  @Test
  void topListsTheHeaviestUsersFirst() throws Exception {
    assumeImplemented(
        "TopUsers", s -> s.topUsers(TopUsersRequest.newBuilder().setTier("default").build()));
    seeded();
    Run r = run("top", "--tier", "default", "--by", "tokens", "--limit", "1");
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().contains("bob"), r.toString());
    assertFalse(r.out().contains("alice"), r.toString());
    TopUsersResponse j =
        json(run("top", "--by", "refusals", "--json"), TopUsersResponse.newBuilder());
    assertEquals("bob", j.getUsers(0).getUser(), j.toString());
    assertEquals(1, j.getUsers(0).getRefusals(), j.toString());
  }

  @Test
  void adviseComparesCurrentAndSuggestedLimits() throws Exception {
    assumeImplemented(
        "AdviseLimits",
        s -> s.adviseLimits(AdviseLimitsRequest.newBuilder().setTier("default").build()));
    seeded();
    Run r = run("advise", "--tier", "default", "--percentile", "95");
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().contains("CURRENT") && r.out().contains("SUGGESTED"), r.toString());
    assertTrue(r.out().contains("user 1d tokens"), r.toString());
    AdviseLimitsResponse j =
        json(
            run("advise", "--percentile", "90", "--headroom", "1.5", "--json"),
            AdviseLimitsResponse.newBuilder());
    assertEquals(90, j.getPercentile());
    assertEquals(1.5, j.getHeadroom());
    assertTrue(j.getLimitsCount() > 0, j.toString());
  }

  @Test
  void overridesAreSetListedAndCleared() throws Exception {
    assumeImplemented(
        "ListOverrides", s -> s.listOverrides(ListOverridesRequest.getDefaultInstance()));
    Run set = run("override", "set", "carol", "--tokens", "1d=50,000", "--usd", "month=$2.50");
    assertEquals(0, set.code(), set.toString());
    assertEquals("override set for user carol: 1d 50,000 tokens, month $2.50\n", set.out());
    Run list = run("override", "list");
    assertEquals(0, list.code(), list.toString());
    assertTrue(
        list.out()
            .matches(
                "(?s)SCOPE\\s+ID\\s+LIMITS\\s+UPDATED\n.*user\\s+carol\\s+1d 50,000 tokens, month \\$2.50.*"),
        list.toString());
    ListOverridesResponse j =
        json(
            run("override", "list", "--scope", "user", "--json"),
            ListOverridesResponse.newBuilder());
    assertTrue(
        j.getOverridesList().stream().anyMatch(o -> o.getId().equals("carol")), j.toString());
    Run usage = run("usage", "carol");
    assertTrue(usage.out().contains("override: 1d 50,000 tokens, month $2.50"), usage.toString());
    Run clear = run("override", "clear", "carol");
    assertEquals("override cleared for user carol\n", clear.out(), clear.toString());
    Run again = run("override", "clear", "carol");
    assertEquals("no override for user carol\n", again.out(), again.toString());
    assertOneLineError(run("override", "set", "carol", "--tokens", "fortnight=5"), Exits.REJECTED);
  }
}
