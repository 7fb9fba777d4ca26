package dev.tollgate.harness.bench;

import dev.tollgate.Tollgate;
import dev.tollgate.testsupport.FreePorts;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * A server of the benchmark in its own JVM, so that its process CPU time is its own: {@code noop}
 * (the baseline) or {@code tollgate MEMBERS file|none USER_TOKENS}. Prints {@code @bench ready
 * PORT} once it listens; answers {@code usage USER} with {@code @bench usage TOKENS} (the user's
 * 5-minute usage, reservations included); exits when its stdin closes.
 */
public final class ServerProcess {
  private ServerProcess() {}

  /** Entry point: the arguments above. */
  public static void main(String[] args) throws Exception {
    try {
      run(args);
    } catch (Exception | Error e) {
      System.out.println(ChildJvm.PREFIX + "failed " + e);
      System.out.flush();
      e.printStackTrace();
      System.exit(1);
    }
    System.exit(0);
  }

  private static void run(String[] args) throws Exception {
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    if (args.length == 1 && args[0].equals("noop")) {
      try (NoopServer noop =
          NoopServer.start(
              Tollgate.netty(BenchTarget.serverConfig(), FreePorts.anyPort()),
              Tollgate.grpcExecutor())) {
        reply("ready " + noop.port());
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          reply("failed the no-op server has no command '" + line + "'");
        }
      }
      return;
    }
    if (args.length != 5 || !args[0].equals("tollgate")) {
      throw new IllegalArgumentException(
          "expected: noop | tollgate MEMBERS file|none USER_TOKENS leases|exact, got "
              + String.join(" ", args));
    }
    try (BenchTarget target =
        BenchTarget.start(
            Integer.parseInt(args[1]),
            args[2].equals("file"),
            Long.parseLong(args[3]),
            args[4].equals("leases"))) {
      reply("ready " + target.grpcPort());
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (line.startsWith("usage ")) {
          reply(usage(target, line.substring(6).trim()));
        } else {
          reply("failed unknown command '" + line + "'");
        }
      }
    }
  }

  /**
   * {@code usage TOKENS}, asked again while the store misses its deadline (a busy machine), for up
   * to 30 s; else {@code failed} and why.
   */
  private static String usage(BenchTarget target, String user) throws InterruptedException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (true) {
      try {
        return "usage " + target.usedTokens(user);
      } catch (RuntimeException e) {
        if (System.nanoTime() > deadline) {
          return "failed the usage of " + user + " could not be read: " + e;
        }
        Thread.sleep(100);
      }
    }
  }

  private static void reply(String line) {
    System.out.println(ChildJvm.PREFIX + line);
    System.out.flush();
  }
}
