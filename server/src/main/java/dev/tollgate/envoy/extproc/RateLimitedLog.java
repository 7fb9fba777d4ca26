package dev.tollgate.envoy.extproc;

import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * A warning that anyone able to reach the port can trigger at will: logged at most once per
 * interval (the rest only counted by the caller's metric), so it cannot flood the log.
 */
final class RateLimitedLog {
  private final Logger log;
  private final long intervalNanos;
  private final AtomicLong next = new AtomicLong(Long.MIN_VALUE);

  RateLimitedLog(Logger log, long intervalMillis) {
    this.log = log;
    this.intervalNanos = intervalMillis * 1_000_000L;
  }

  void warn(String format, Object... args) {
    long now = System.nanoTime();
    long n = next.get();
    if ((n == Long.MIN_VALUE || now - n >= 0) && next.compareAndSet(n, now + intervalNanos)) {
      log.warn(format, args);
    }
  }
}
