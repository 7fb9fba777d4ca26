package dev.tollgate.harness.demo;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.tollgate.harness.upstream.MockOpenAi;
import dev.tollgate.testsupport.RepoRoot;
import dev.tollgate.tokens.Encodings;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** {@code ./tollgate demo} in-process: the whole session, its exit code and its transcript. */
class DemoCommandTest {

  record Run(int exitCode, String out, String err) {}

  static Path root() {
    return RepoRoot.get();
  }

  static Run run(Map<String, String> env, String... args) {
    DemoCommand demo = new DemoCommand();
    demo.env = env;
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        new CommandLine(demo)
            .setOut(new PrintWriter(out, true))
            .setErr(new PrintWriter(err, true))
            .execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  /** Simulated users of the usage phase in these tests (300 by default). */
  static final int USERS = 80;

  private static Run mockRun;

  /** One run against the mock, with a usage phase, shared by the tests that read its transcript. */
  static synchronized Run mockRun() {
    if (mockRun == null) {
      mockRun = run(Map.of(), "--root", root().toString(), "--users", Integer.toString(USERS));
    }
    return mockRun;
  }

  static long number(String transcript, String regex) {
    Matcher m = Pattern.compile(regex).matcher(transcript);
    assertTrue(m.find(), "no match for " + regex + " in:\n" + transcript);
    return Long.parseLong(m.group(1).replace(",", ""));
  }

  @Test
  @Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void theSessionBehavesAsExpectedAgainstTheMock() {
    Run r = mockRun();
    assertEquals(0, r.exitCode(), r.out() + r.err());
    String t = r.out();
    assertTrue(t.contains("<- 200"), t);
    assertTrue(t.contains("the last event carried usage"), t);
    assertTrue(t.contains("<- 401  UnauthorizedException"), t);
    assertTrue(t.contains("<- 403  PermissionDeniedException"), t);
    assertTrue(t.contains("-> 429  RateLimitException: Rate limit reached"), t);
    assertTrue(t.matches("(?s).*retry-after: \\d+.*"), t);
    assertTrue(t.contains("x-ratelimit-remaining-tokens:"), t);
    assertTrue(t.contains("other keys seen: none"), t);
    assertTrue(t.contains("All 7 steps behaved as expected"), t);
    assertFalse(t.contains("sk-demo-upstream-"), "the upstream key is masked: " + t);
    await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(100))
        .untilAsserted(
            () -> assertTrue(lingering().isEmpty(), "everything stopped: " + lingering()));
  }

  @Test
  @Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void theUsagePhaseGoesThroughThePathAndFillsTheLedger() {
    Run r = mockRun();
    String t = r.out();
    assertTrue(t.contains("Usage phase: " + USERS + " simulated users"), t);
    long sent = number(t, "(\\d+) requests in [\\d.]+ s: ");
    long allowed = number(t, " s: (\\d+) allowed, ");
    long refused = number(t, "allowed, (\\d+) refused with 429");
    long failed = number(t, "at least once\\), (\\d+) failed otherwise");
    // a loaded machine may push a few Checks past the emulator's timeout (as BenchCommandTest)
    assertTrue(failed <= sent / 20, "at most 5% failed: " + t);
    assertEquals(sent, allowed + refused + failed, t);
    assertTrue(allowed > USERS / 2, t);
    assertTrue(refused > 0, "heavy users are refused by the demo limit: " + t);
    // what went through the path is in the ledger, settled
    long settled = number(t, "for today \\([-\\d]+\\): (\\d+) requests settled");
    long ledgerRefusals = number(t, "requests settled, (\\d+) refusals");
    if (failed == 0) {
      assertEquals(allowed, settled, t);
      assertEquals(refused, ledgerRefusals, t);
    } else {
      assertTrue(settled >= allowed && ledgerRefusals >= refused, t);
    }
    long activeUsers =
        number(t, "Ledger read directly, tier default, [-\\d]+ to [-\\d]+: (\\d+) active users");
    assertTrue(activeUsers >= USERS, t);
    assertTrue(number(t, "active users, \\d+ requests, (\\d+) tokens") > 0, t);
    assertTrue(number(t, "tokens, \\$[\\d.]+, (\\d+) refusals \\(") >= refused, t);
    // last month always; this month's earlier days unless today is the 1st
    assertTrue(
        number(t, "(\\d+) rows under the service key '" + DemoUsage.GENERATED_KEY + "'") > 0, t);
    if (LocalDate.now(ZoneOffset.UTC).getDayOfMonth() > 1) {
      assertTrue(number(t, "rows, (\\d+) of them '" + DemoUsage.GENERATED_KEY + "'") > 0, t);
    }
  }

  @Test
  @Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void theReportAndTheAdviceAgreeWithTheLedger() {
    Run r = mockRun();
    String t = r.out();
    assertTrue(t.contains("admin key '" + DemoStack.ADMIN_KEY_NAME + "'"), t);
    assertFalse(t.contains("tollgate-demo-admin-"), "the admin key is never printed: " + t);
    assumeFalse(
        t.contains("UsageReport: UNIMPLEMENTED"),
        "the admin API's UsageReport is not implemented in this build: the report is skipped");
    assertTrue(
        t.contains("the report's totals are the ledger's"), "the report matches the ledger: " + t);
    // the CLI's format (tollgate report): "active users  1,234"
    long active = number(t, "\\n  active users +([\\d,]+)\\n");
    assertTrue(active >= USERS, t);
    assertEquals(
        number(t, "Ledger read directly, tier default, [-\\d]+ to [-\\d]+: (\\d+) active users"),
        active,
        t);
    assertTrue(number(t, "\\n  tokens +([\\d,]+)\\n") > 0, t);
    assertTrue(t.contains("REFUSED BY"), "refusals show up: " + t);
    assumeFalse(
        t.contains("AdviseLimits: UNIMPLEMENTED"),
        "the admin API's AdviseLimits is not implemented in this build: the advice is skipped");
    assertTrue(t.contains("user 1d tokens"), t);
    assertTrue(t.contains("user month usd"), t);
  }

  /**
   * Threads of the demo's parts still alive (OkHttp's process-wide "TaskRunner" daemons are not the
   * demo's: they end after a minute idle).
   */
  static List<String> lingering() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(
            n ->
                n.startsWith("hz.")
                    || n.startsWith("tollgate-demo")
                    || n.startsWith("envoy-emulator")
                    || n.startsWith("mock-openai")
                    || n.startsWith("grpc-")
                    || n.startsWith("OkHttp") && !n.equals("OkHttp TaskRunner"))
        .sorted()
        .toList();
  }

  @Test
  @Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void anotherUpstreamGetsTheKeyFromTheEnvironmentWhichIsNeverPrinted() throws Exception {
    String key = "sk-another-upstream-0123456789";
    try (MockOpenAi other = MockOpenAi.start(0, key, new Encodings())) {
      Run r =
          run(
              Map.of("OPENAI_API_KEY", key),
              "--root",
              root().toString(),
              "--upstream",
              "http://127.0.0.1:" + other.port());
      assertEquals(0, r.exitCode(), r.out() + r.err());
      assertTrue(r.out().contains("No usage phase with --upstream"), r.out());
      assertTrue(r.out().contains("all with the key from $OPENAI_API_KEY"), r.out());
      assertFalse(r.out().contains(key) || r.err().contains(key), "the key is masked: " + r.out());
      assertTrue(other.leakedKeys().isEmpty(), other.leakedKeys().toString());
      assertEquals(9, other.requests(), "3 for the warm-up, 3 for alice, 3 allowed for bob");
    }
  }

  @Test
  void anotherUpstreamWithoutAKeyIsRefused() {
    Run r = run(Map.of(), "--root", root().toString(), "--upstream", "http://127.0.0.1:9");
    assertEquals(1, r.exitCode());
    assertTrue(r.err().contains("$OPENAI_API_KEY, which is not set"), r.err());
  }

  @Test
  void aDirectoryThatIsNotTheRepositoryIsRefused() throws Exception {
    Path empty = Files.createTempDirectory("not-tollgate");
    try {
      Run r = run(Map.of(), "--root", empty.toString());
      assertEquals(1, r.exitCode());
      assertTrue(r.err().contains("is not the Tollgate repository"), r.err());
    } finally {
      Files.delete(empty);
    }
  }
}
