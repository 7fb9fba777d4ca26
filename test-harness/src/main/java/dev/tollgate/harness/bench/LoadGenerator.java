package dev.tollgate.harness.bench;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Drives an asynchronous request cycle: closed loop with K in flight (the maximum rate), or open
 * loop at a fixed rate (latency measured from each request's scheduled start, so a stall is not
 * hidden by the generator waiting for it). Warm-up first, then a fixed measured interval, over
 * which the server's process CPU time and the generator's own are read.
 */
final class LoadGenerator {

  /** One request cycle (a Check, or a Check and its ext_proc stream). */
  interface Cycle {
    /** Starts cycle number {@code seq}; calls {@code done} exactly once, from any thread. */
    void start(long seq, Done done);
  }

  /** Completion of one cycle. */
  interface Done {
    /** {@code error} is null on success, else what went wrong. */
    void finished(String error);
  }

  /**
   * What one measured interval saw. Latencies in the histogram are nanoseconds.
   *
   * @param serverCpuNanos the server process's CPU time over the interval, -1 if unknown
   * @param generatorCpuNanos this process's CPU time over the interval, -1 if unknown
   * @param failures failed requests by kind ({@code HTTP 429}, {@code HTTP 503}, {@code
   *     DEADLINE_EXCEEDED}, {@code other})
   */
  record Result(
      long ok,
      long errors,
      double seconds,
      Histogram latency,
      String firstError,
      long serverCpuNanos,
      long generatorCpuNanos,
      Map<String, Long> failures) {
    double perSecond() {
      return ok / seconds;
    }

    double micros(double percentile) {
      return latency.getTotalCount() == 0 ? 0 : latency.getValueAtPercentile(percentile) / 1e3;
    }
  }

  private final Recorder recorder = new Recorder(3);
  private final AtomicLong errors = new AtomicLong();
  private final AtomicReference<String> firstError = new AtomicReference<>();
  private final AtomicLong seq = new AtomicLong();
  private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
  private volatile boolean measuring;

  private void complete(long startNanos, String error) {
    if (error == null) {
      recorder.recordValue(Math.max(1, System.nanoTime() - startNanos));
    } else {
      errors.incrementAndGet();
      firstError.compareAndSet(null, error);
      if (measuring) {
        failures.computeIfAbsent(kind(error), k -> new LongAdder()).increment();
      }
    }
  }

  /** {@code HTTP 429} for a denied Check, the gRPC status for a failed call, else {@code other}. */
  static String kind(String error) {
    String denied = "Check denied: HTTP ";
    if (error.startsWith(denied) && error.length() >= denied.length() + 3) {
      return "HTTP " + error.substring(denied.length(), denied.length() + 3);
    }
    if (error.contains("DEADLINE_EXCEEDED")) {
      return "DEADLINE_EXCEEDED";
    }
    return "other";
  }

  /** This process's CPU time in nanoseconds, -1 if the JVM does not tell. */
  static long ownCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  /** K cycles always in flight: the maximum rate. */
  static Result closedLoop(
      Cycle cycle, int inFlight, Duration warmup, Duration duration, LongSupplier serverCpu)
      throws InterruptedException {
    LoadGenerator g = new LoadGenerator();
    AtomicBoolean running = new AtomicBoolean(true);
    CountDownLatch drained = new CountDownLatch(inFlight);
    for (int i = 0; i < inFlight; i++) {
      g.next(cycle, running, drained);
    }
    return g.measure(
        warmup,
        duration,
        serverCpu,
        () -> {
          running.set(false);
          if (!drained.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("requests still in flight 30 s after the run ended");
          }
        });
  }

  private void next(Cycle cycle, AtomicBoolean running, CountDownLatch drained) {
    long t0 = System.nanoTime();
    cycle.start(
        seq.getAndIncrement(),
        error -> {
          complete(t0, error);
          if (running.get()) {
            next(cycle, running, drained);
          } else {
            drained.countDown();
          }
        });
  }

  /**
   * {@code rate} cycles per second on a fixed schedule, at most {@code maxInFlight} outstanding.
   */
  static Result openLoop(
      Cycle cycle,
      double rate,
      int maxInFlight,
      Duration warmup,
      Duration duration,
      LongSupplier serverCpu)
      throws InterruptedException {
    LoadGenerator g = new LoadGenerator();
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger outstanding = new AtomicInteger();
    Thread pacer =
        new Thread(
            () -> {
              long period = (long) (1e9 / rate);
              long start = System.nanoTime();
              for (long i = 0; running.get(); i++) {
                long due = start + i * period;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                  LockSupport.parkNanos(wait);
                }
                if (outstanding.get() >= maxInFlight) {
                  g.complete(
                      due,
                      "more than "
                          + maxInFlight
                          + " requests outstanding: the server cannot keep up with "
                          + Math.round(rate)
                          + "/s");
                  continue;
                }
                outstanding.incrementAndGet();
                cycle.start(
                    g.seq.getAndIncrement(),
                    error -> {
                      g.complete(due, error);
                      outstanding.decrementAndGet();
                    });
              }
            },
            "bench-pacer");
    pacer.setDaemon(true);
    pacer.start();
    return g.measure(
        warmup,
        duration,
        serverCpu,
        () -> {
          running.set(false);
          pacer.join();
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
          while (outstanding.get() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
          }
        });
  }

  private interface Stop {
    void stop() throws InterruptedException;
  }

  private Result measure(Duration warmup, Duration duration, LongSupplier serverCpu, Stop stop)
      throws InterruptedException {
    Thread.sleep(warmup.toMillis());
    recorder.getIntervalHistogram(); // discard the warm-up
    long errors0 = errors.get();
    firstError.set(null);
    measuring = true;
    long server0 = serverCpu.getAsLong();
    long own0 = ownCpuNanos();
    long t0 = System.nanoTime();
    Thread.sleep(duration.toMillis());
    Histogram h = recorder.getIntervalHistogram();
    double secs = (System.nanoTime() - t0) / 1e9;
    long server1 = serverCpu.getAsLong();
    long own1 = ownCpuNanos();
    measuring = false;
    long errs = errors.get() - errors0;
    String first = firstError.get();
    Map<String, Long> kinds = new TreeMap<>();
    failures.forEach((k, v) -> kinds.put(k, v.sum()));
    stop.stop();
    return new Result(
        h.getTotalCount(),
        errs,
        secs,
        h,
        first,
        server0 < 0 || server1 < 0 ? -1 : server1 - server0,
        own0 < 0 || own1 < 0 ? -1 : own1 - own0,
        kinds);
  }
}
