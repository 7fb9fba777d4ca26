package dev.tollgate.testsupport;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/** A UTC clock that moves only when a test moves it (its time may be shared as an AtomicLong). */
public final class ManualClock extends Clock {
  private final AtomicLong millis;

  /** At {@code millis} (epoch millis). */
  public ManualClock(long millis) {
    this(new AtomicLong(millis));
  }

  /** Reading {@code millis}, which the caller moves. */
  public ManualClock(AtomicLong millis) {
    this.millis = millis;
  }

  /** Moves to {@code millis} (epoch millis). */
  public void set(long millis) {
    this.millis.set(millis);
  }

  /** Moves forward by {@code ms}. */
  public void advance(long ms) {
    millis.addAndGet(ms);
  }

  @Override
  public long millis() {
    return millis.get();
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis());
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }
}
