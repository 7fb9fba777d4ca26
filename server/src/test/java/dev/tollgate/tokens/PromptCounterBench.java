package dev.tollgate.tokens;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.Set;

/**
 * Microseconds per 1 KiB chat body with o200k (gpt-4o), on bodies that all differ (no cache can
 * hide the cost), for Tollgate's counter and for the jtokkit-only reference.
 *
 * <pre>
 * java -cp server/target/classes:server/target/test-classes:$(deps) dev.tollgate.tokens.PromptCounterBench
 * </pre>
 */
public final class PromptCounterBench {
  private static final String[] WORDS =
      ("the of and to in is you that it he was for on are as with his they I at be this have from "
              + "or one had by word but not what all were we when your can said there use an each which "
              + "she do how their if will up other about out many then them these so some her would make "
              + "like him into time has look two more write go see number no way could people my than "
              + "first water been call who oil its now find long down day did get come made may part "
              + "weather San Francisco tokenizer quota request budget latency Kubernetes Envoy gRPC "
              + "don't it's we're they've I'll café naïve résumé Zürich 東京 München ÄÖÜ")
          .split(" ");

  private PromptCounterBench() {}

  public static void main(String[] args) {
    int bodies = 4000;
    byte[][] chat = new byte[bodies][];
    Random random = new Random(42);
    long totalBytes = 0;
    for (int i = 0; i < bodies; i++) {
      chat[i] = body(random);
      totalBytes += chat[i].length;
    }
    double avgKiB = totalBytes / (double) bodies / 1024.0;
    System.out.printf(
        "%d distinct chat bodies, average %.0f bytes%n", bodies, totalBytes / (double) bodies);
    long t0 = System.nanoTime();
    Encodings fast = new Encodings();
    System.out.printf("Encodings() load: %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    Encodings reference = new Encodings(false);
    PromptCounter tollgate = new PromptCounter(fast);
    PromptCounter jtokkit = new PromptCounter(reference);
    for (int round = 0; round < 5; round++) {
      double a = run(tollgate, chat) / avgKiB;
      double b = run(jtokkit, chat) / avgKiB;
      System.out.printf(
          "round %d: Tollgate %.1f us/KiB, jtokkit-only %.1f us/KiB (%.1fx)%n", round, a, b, b / a);
    }
  }

  /** Mean microseconds per body. */
  private static double run(PromptCounter counter, byte[][] bodies) {
    long sum = 0;
    long start = System.nanoTime();
    int reps = 3;
    for (int r = 0; r < reps; r++) {
      for (byte[] b : bodies) {
        sum +=
            counter
                .parse(ApiKind.CHAT_COMPLETIONS, b, false, Set.of("user"), m -> null)
                .promptTokens();
      }
    }
    long elapsed = System.nanoTime() - start;
    if (sum == 42) {
      System.out.println();
    }
    return elapsed / 1000.0 / (reps * (double) bodies.length);
  }

  private static byte[] body(Random random) {
    StringBuilder json = new StringBuilder();
    json.append("{\"messages\":[{\"role\":\"system\",\"content\":\"");
    words(random, json, 180 + random.nextInt(100));
    json.append("\"},{\"role\":\"user\",\"content\":\"");
    words(random, json, 560 + random.nextInt(150));
    json.append("\"}],\"model\":\"gpt-4o\",\"max_tokens\":")
        .append(random.nextInt(2000))
        .append(",\"user\":\"user-")
        .append(random.nextInt(1000))
        .append("\"}");
    return json.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void words(Random random, StringBuilder sb, int chars) {
    int start = sb.length();
    while (sb.length() - start < chars) {
      if (random.nextInt(12) == 0) { // an identifier, a name, a typo: mostly several tokens
        for (int k = 3 + random.nextInt(8); k > 0; k--) {
          sb.append((char) ((random.nextInt(5) == 0 ? 'A' : 'a') + random.nextInt(26)));
        }
      } else {
        sb.append(WORDS[random.nextInt(WORDS.length)]);
      }
      int r = random.nextInt(20);
      sb.append(
          r == 0
              ? ". "
              : r == 1 ? ", " : r == 2 ? "\\n" : r == 3 ? " " + random.nextInt(10000) + " " : " ");
    }
  }
}
