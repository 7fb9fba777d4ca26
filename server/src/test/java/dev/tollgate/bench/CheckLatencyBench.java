package dev.tollgate.bench;

import dev.tollgate.TestConfigs;
import dev.tollgate.Tollgate;
import dev.tollgate.quota.InMemoryQuotaStore;
import dev.tollgate.testsupport.EnvoyChecks;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.time.Clock;
import java.util.Arrays;

/**
 * Check latency, single client, in-process gRPC, in-memory store: a 1 KiB chat body varied per
 * request (so no cache hides the tokenizer), many users. Prints p50/p99/p99.9 in µs.
 *
 * <p>Run: {@code ./mvnw -q -pl server test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.tollgate.bench.CheckLatencyBench}
 */
public final class CheckLatencyBench {
  private CheckLatencyBench() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    String name = InProcessServerBuilder.generateName();
    var config =
        TestConfigs.withLimits(
            """
        - { scope: user, window: 5m, tokens: 1000000000 }
        - { scope: global, window: 1m, tokens: 1000000000000 }
        """);
    try (Tollgate t =
        Tollgate.start(
            config,
            InProcessServerBuilder.forName(name).directExecutor(),
            null,
            false,
            Clock.systemUTC(),
            new InMemoryQuotaStore())) {
      ManagedChannel ch = InProcessChannelBuilder.forName(name).directExecutor().build();
      var stub = AuthorizationGrpc.newBlockingStub(ch);
      CheckRequest[] reqs = new CheckRequest[1024];
      java.util.Random rnd = new java.util.Random(42);
      for (int i = 0; i < reqs.length; i++) {
        reqs[i] =
            EnvoyChecks.post("/v1/chat/completions")
                .bearer(TestConfigs.SERVICE_KEY)
                .header("x-on-behalf-of", "user-" + (i % 100))
                .json(body(rnd, 1024))
                .build();
      }
      for (int i = 0; i < 5_000; i++) {
        stub.check(reqs[i % reqs.length]);
      }
      long[] lat = new long[n];
      long start = System.nanoTime();
      for (int i = 0; i < n; i++) {
        long t0 = System.nanoTime();
        stub.check(reqs[i % reqs.length]);
        lat[i] = System.nanoTime() - t0;
      }
      double secs = (System.nanoTime() - start) / 1e9;
      Arrays.sort(lat);
      System.out.printf(
          "Check, in-process, single client, 1 KiB chat body, in-memory store: %d calls, %.0f calls/s%n",
          n, n / secs);
      System.out.printf(
          "p50 %.0f µs  p99 %.0f µs  p99.9 %.0f µs%n",
          lat[n / 2] / 1e3, lat[(int) (n * 0.99)] / 1e3, lat[(int) (n * 0.999)] / 1e3);
      ch.shutdownNow();
    }
  }

  /** A chat body of about {@code size} bytes of varied English-like text. */
  public static String body(java.util.Random rnd, int size) {
    String[] words = {
      "the",
      "quota",
      "gateway",
      "counts",
      "tokens",
      "for",
      "every",
      "request",
      "and",
      "user",
      "window",
      "model",
      "stream",
      "Envoy",
      "calls",
      "Tollgate",
      "before",
      "OpenAI",
      "answers",
      "with",
      "usage",
      "budget",
      "minute",
      "hour",
      "day",
      "month",
      "price",
      "cache",
      "reply",
      "assistant",
      "système",
      "数据"
    };
    StringBuilder sb = new StringBuilder();
    while (sb.length() < size - 120) {
      sb.append(words[rnd.nextInt(words.length)]).append(rnd.nextInt(10) == 0 ? ". " : " ");
      if (rnd.nextInt(50) == 0) {
        sb.append(rnd.nextInt(100000)).append(' ');
      }
    }
    String text = sb.toString().replace("\\", "").replace("\"", "");
    return "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\",\"content\":\"You are terse.\"},"
        + "{\"role\":\"user\",\"content\":\""
        + text
        + "\"}],\"max_tokens\":64}";
  }
}
