package dev.tollgate.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class GoDurationsTest {
  @Test
  void formatsLikeGoAndOpenAi() {
    assertEquals("6m0s", GoDurations.format(Duration.ofMinutes(6)));
    assertEquals("1.5s", GoDurations.format(Duration.ofMillis(1500)));
    assertEquals("644ms", GoDurations.format(Duration.ofMillis(644)));
    assertEquals("11m32.334s", GoDurations.format(Duration.ofMillis(692_334)));
    assertEquals("1h0m0s", GoDurations.format(Duration.ofHours(1)));
    assertEquals("0s", GoDurations.format(Duration.ZERO));
    assertEquals("1s", GoDurations.format(Duration.ofSeconds(1)));
    assertEquals("720h0m0s", GoDurations.format(Duration.ofDays(30)));
  }
}
