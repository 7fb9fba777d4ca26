package dev.tollgate.harness.bench;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One process of the benchmark (a server or the load generator): a JVM started from this process's
 * classpath with the given flags, spoken to in lines. The parent writes commands to its stdin; the
 * child answers with lines starting with {@value #PREFIX} on its stdout; everything else it prints
 * (and its stderr) goes to a log file. Closing its stdin asks it to exit.
 */
final class ChildJvm implements AutoCloseable {
  /** Starts every line of the protocol a child writes on its stdout. */
  static final String PREFIX = "@bench ";

  /** What Hazelcast asks for on JDK 17 and newer, as the {@code tollgate} launcher passes it. */
  static final List<String> LAUNCHER_FLAGS =
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
          "-Dhazelcast.phone.home.enabled=false");

  private static final String EXITED = "\u0000exited";

  private final String name;
  private final Process process;
  private final Path log;
  private final Writer stdin;
  private final BlockingQueue<String> replies = new LinkedBlockingQueue<>();

  private ChildJvm(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.stdin =
        new BufferedWriter(
            new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
    Thread reader = new Thread(this::readStdout, "bench-" + name + "-stdout");
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * Starts {@code main} in a new JVM.
   *
   * @param jvmFlags heap and GC flags, added after {@link #LAUNCHER_FLAGS}
   * @param logDir where the child's log file {@code <name>.log} is written
   */
  static ChildJvm start(
      String name, Class<?> main, List<String> jvmFlags, List<String> args, Path logDir)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(LAUNCHER_FLAGS);
    cmd.addAll(jvmFlags);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(main.getName());
    cmd.addAll(args);
    Path log = logDir.resolve(name + ".log");
    Process p =
        new ProcessBuilder(cmd)
            .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    return new ChildJvm(name, p, log);
  }

  private void readStdout() {
    try (BufferedReader r =
            new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        Writer other =
            Files.newBufferedWriter(
                log,
                StandardCharsets.UTF_8,
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND)) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (line.startsWith(PREFIX)) {
          replies.add(line.substring(PREFIX.length()));
        } else {
          other.write(line);
          other.write('\n');
          other.flush();
        }
      }
    } catch (IOException e) {
      // the child is gone: reported below
    } finally {
      replies.add(EXITED);
    }
  }

  /** The child's process id. */
  long pid() {
    return process.pid();
  }

  /** Sends one command line. */
  void send(String line) throws IOException {
    stdin.write(line);
    stdin.write('\n');
    stdin.flush();
  }

  /**
   * The next reply, which must start with {@code word}: the rest of the line after it.
   *
   * @throws IOException if the child exits, answers {@code failed ...} or does not answer in time
   */
  String await(String word, Duration timeout) throws IOException, InterruptedException {
    String line = replies.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (line == null) {
      throw new IOException(
          "the " + name + " process did not answer within " + timeout.toSeconds() + " s" + tail());
    }
    if (line.equals(EXITED)) {
      replies.add(EXITED);
      throw new IOException("the " + name + " process exited" + tail());
    }
    if (line.startsWith("failed ")) {
      throw new IOException("the " + name + " process failed: " + line.substring(7) + tail());
    }
    if (!line.startsWith(word + " ") && !line.equals(word)) {
      throw new IOException(
          "the " + name + " process answered '" + line + "', expected '" + word + " ...'");
    }
    return line.substring(word.length()).trim();
  }

  /** The child's CPU time so far (user and system, all threads), in nanoseconds; -1 if unknown. */
  long cpuNanos() {
    return process.toHandle().info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
  }

  /**
   * The CPU time so far of the child's JIT compiler threads (user and system), in nanoseconds, from
   * {@code /proc/PID/task/*\/stat} (threads named {@code C1 CompilerThread...} or {@code C2
   * CompilerThread...}, clock ticks of 10 ms); -1 where there is no {@code /proc}.
   */
  long compilerCpuNanos() {
    java.nio.file.Path tasks = java.nio.file.Path.of("/proc", Long.toString(process.pid()), "task");
    long ticks = 0;
    try (var dirs = Files.list(tasks)) {
      for (java.nio.file.Path t : (Iterable<java.nio.file.Path>) dirs::iterator) {
        String stat;
        try {
          stat = Files.readString(t.resolve("stat"), StandardCharsets.US_ASCII);
        } catch (IOException e) {
          continue; // the thread ended
        }
        int open = stat.indexOf('(');
        int close = stat.lastIndexOf(')');
        if (open < 0 || close < open || !stat.startsWith("CompilerThre", open + 4)) {
          continue;
        }
        String[] f = stat.substring(close + 2).split(" ");
        ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return ticks * 10_000_000L;
  }

  private String tail() {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return "; the end of its log ("
          + log
          + "):\n"
          + String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException | UncheckedIOException e) {
      return "; see " + log;
    }
  }

  /** Closes the child's stdin (it exits) and waits for it, then kills it if it has not exited. */
  @Override
  public void close() throws InterruptedException {
    try {
      stdin.close();
    } catch (IOException e) {
      // already gone
    }
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
