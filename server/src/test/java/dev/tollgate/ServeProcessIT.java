package dev.tollgate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.rpc.Code;
import dev.tollgate.testsupport.EnvoyChecks;
import dev.tollgate.testsupport.FreePorts;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starts {@code tollgate serve} as a separate JVM from the packaged jar, exactly as the launcher
 * does, and talks to it over TCP: health, a Check, /ready, /metrics, then SIGTERM.
 */
class ServeProcessIT {
  @TempDir Path dir;

  /** The packaged server jar (target/lib holds its dependencies). */
  static Path serverJar() {
    File[] jars =
        new File("target")
            .listFiles(
                f ->
                    f.getName().matches("tollgate-server-.*\\.jar")
                        && !f.getName().contains("tests"));
    assertTrue(
        jars != null && jars.length == 1, "run after 'package': target/tollgate-server-*.jar");
    return jars[0].toPath().toAbsolutePath();
  }

  /** The java command with the flags the launcher uses. */
  static List<String> javaCommand() {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(
        List.of(
            "--add-modules",
            "java.se",
            "--add-exports",
            "java.base/jdk.internal.ref=ALL-UNNAMED",
            "--add-opens",
            "java.base/java.lang=ALL-UNNAMED",
            "--add-opens",
            "java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens",
            "java.management/sun.management=ALL-UNNAMED",
            "--add-opens",
            "jdk.management/com.sun.management.internal=ALL-UNNAMED",
            "-Djava.util.concurrent.ForkJoinPool.common.parallelism=2",
            "-Dhazelcast.logging.type=slf4j",
            "-Dhazelcast.phone.home.enabled=false",
            "-Xmx512m"));
    return cmd;
  }

  @Test
  void servesOverTcpAndShutsDownGracefullyOnSigterm() throws Exception {
    int grpc = FreePorts.freePort();
    int http = FreePorts.freePort();
    Path config = dir.resolve("tollgate.yaml");
    Files.writeString(config, TestConfigs.yaml(TestConfigs.DEFAULT_LIMITS, "memory", "deny"));
    List<String> cmd = javaCommand();
    cmd.addAll(
        List.of(
            "-jar",
            serverJar().toString(),
            "serve",
            "--config",
            config.toString(),
            "--grpc-port",
            Integer.toString(grpc),
            "--http-port",
            Integer.toString(http)));
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("out.log").toFile());
    pb.environment().put("UPSTREAM", TestConfigs.UPSTREAM_KEY);
    Process p = pb.start();
    ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", grpc).usePlaintext().build();
    try {
      ClusterServeIT.awaitServing(ch, p, dir.resolve("out.log"));
      HealthCheckResponse.ServingStatus status =
          HealthGrpc.newBlockingStub(ch)
              .withDeadlineAfter(1, TimeUnit.SECONDS)
              .check(HealthCheckRequest.getDefaultInstance())
              .getStatus();
      assertEquals(
          HealthCheckResponse.ServingStatus.SERVING,
          status,
          Files.readString(dir.resolve("out.log")));

      CheckResponse r =
          AuthorizationGrpc.newBlockingStub(ch)
              .withDeadlineAfter(5, TimeUnit.SECONDS)
              .check(
                  EnvoyChecks.post("/v1/chat/completions")
                      .bearer(TestConfigs.SERVICE_KEY)
                      .json(
                          "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
                      .build());
      assertEquals(Code.OK_VALUE, r.getStatus().getCode(), r.toString());
      assertEquals(
          "Bearer " + TestConfigs.UPSTREAM_KEY,
          r.getOkResponse().getHeaders(0).getHeader().getValue());

      HttpClient hc = HttpClient.newHttpClient();
      HttpResponse<String> ready =
          hc.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http + "/ready")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, ready.statusCode());
      HttpResponse<String> metrics =
          hc.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http + "/metrics")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertTrue(
          metrics
              .body()
              .matches(
                  "(?s).*\ntollgate_decisions_total\\{[^}]*reason=\"allow\"[^}]*\\} 1(\\.0)?\n.*"),
          metrics.body());

      p.destroy(); // SIGTERM
      assertTrue(p.waitFor(20, TimeUnit.SECONDS), "exits after SIGTERM");
      String log = Files.readString(dir.resolve("out.log"));
      assertTrue(log.contains("Tollgate stopped"), log);
      assertTrue(!log.contains(TestConfigs.UPSTREAM_KEY), "the upstream key never reaches the log");
    } finally {
      ch.shutdownNow();
      p.destroyForcibly();
    }
  }

  @Test
  void reloadsOnSighupAndOnAnEditWritingJsonLines() throws Exception {
    int grpc = FreePorts.freePort();
    int http = FreePorts.freePort();
    Path config = dir.resolve("tollgate.yaml");
    String yaml =
        TestConfigs.yaml(TestConfigs.DEFAULT_LIMITS, "memory", "deny")
            .replace(
                "server: { grpc_port: 0, http_port: 0 }",
                "server: { grpc_port: 0, http_port: 0, log_format: json }");
    Files.writeString(config, yaml);
    List<String> cmd = javaCommand();
    cmd.addAll(
        List.of(
            "-jar",
            serverJar().toString(),
            "serve",
            "--config",
            config.toString(),
            "--grpc-port",
            Integer.toString(grpc),
            "--http-port",
            Integer.toString(http)));
    Path out = dir.resolve("out.log");
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
    pb.environment().put("UPSTREAM", TestConfigs.UPSTREAM_KEY);
    Process p = pb.start();
    ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", grpc).usePlaintext().build();
    try {
      ClusterServeIT.awaitServing(ch, p, out);
      java.util.function.Supplier<CheckResponse> check =
          () ->
              AuthorizationGrpc.newBlockingStub(ch)
                  .withDeadlineAfter(5, TimeUnit.SECONDS)
                  .check(
                      EnvoyChecks.post("/v1/chat/completions")
                          .bearer(TestConfigs.SERVICE_KEY)
                          .json(
                              "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
                          .build());
      assertEquals(Code.OK_VALUE, check.get().getStatus().getCode());

      // SIGHUP with nothing new: read, found unchanged (the command-line ports are not a change)
      new ProcessBuilder("kill", "-HUP", Long.toString(p.pid())).start().waitFor();
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(20))
          .until(() -> Files.readString(out).contains("config.unchanged: " + config + " (SIGHUP)"));

      // an edit: the key web is removed, and gets 401 without a restart
      Files.writeString(
          Path.of(config + ".new"), yaml.replaceAll("(?m)^  - \\{ name: web, .*\n", ""));
      Files.move(Path.of(config + ".new"), config, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(20))
          .until(() -> check.get().getDeniedResponse().getStatus().getCodeValue() == 401);
      assertTrue(p.isAlive());

      p.destroy();
      assertTrue(p.waitFor(20, TimeUnit.SECONDS), "exits after SIGTERM");
      String log = Files.readString(out);
      com.fasterxml.jackson.databind.ObjectMapper json =
          new com.fasterxml.jackson.databind.ObjectMapper();
      int lines = 0;
      for (String line : log.split("\n")) {
        if (line.startsWith("{")) {
          assertTrue(json.readTree(line).hasNonNull("message"), line);
          lines++;
        }
      }
      assertTrue(lines >= 4, log);
      assertTrue(log.contains("\"message\":\"config.reloaded: "), log);
      assertTrue(log.contains("\"message\":\"Tollgate stopped\""), log);
      assertTrue(!log.contains(TestConfigs.UPSTREAM_KEY), "the upstream key never reaches the log");
    } finally {
      ch.shutdownNow();
      p.destroyForcibly();
    }
  }

  @Test
  void validateExitsZeroOrPrintsEveryError() throws Exception {
    Path good = dir.resolve("good.yaml");
    Files.writeString(good, TestConfigs.yaml(TestConfigs.DEFAULT_LIMITS, "memory", "deny"));
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(
        bad,
        TestConfigs.yaml(
                "- { scope: user, window: 5x, tokens: 10 }\n- { scope: usr, window: 5m, tokens: 10 }",
                "memory",
                "deny")
            .replace("routes:", "routez:"));
    assertEquals(0, run("validate", "--config", good.toString()).exit);
    Result r = run("validate", "--config", bad.toString());
    assertEquals(2, r.exit);
    assertTrue(r.out.contains("bad.yaml"), r.out);
    assertTrue(r.out.contains("routez"), r.out);
    assertTrue(r.out.contains("limits[0].window"), r.out);
    assertTrue(r.out.contains("limits[1].scope"), r.out);
  }

  record Result(int exit, String out) {}

  private Result run(String... args) throws Exception {
    List<String> cmd = javaCommand();
    cmd.add("-jar");
    cmd.add(serverJar().toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("UPSTREAM", TestConfigs.UPSTREAM_KEY);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    return new Result(p.exitValue(), out);
  }
}
