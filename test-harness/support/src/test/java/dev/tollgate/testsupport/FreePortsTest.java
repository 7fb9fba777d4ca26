package dev.tollgate.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

class FreePortsTest {
  @Test
  void aRangeBelowTheEphemeralPortsThatCanBeBound() throws IOException {
    int base = FreePorts.freeRange(3);
    assertTrue(base >= 20000 && base + 3 <= 32000, "port " + base);
    for (int p = base; p < base + 3; p++) {
      try (ServerSocket s = new ServerSocket()) {
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), p));
      }
    }
  }

  @Test
  void anyPortIsPortZeroOnLoopback() {
    assertEquals(0, FreePorts.anyPort().getPort());
    assertTrue(FreePorts.anyPort().getAddress().isLoopbackAddress());
    int p = FreePorts.freePort();
    assertTrue(p >= 20000 && p < 32000, "port " + p);
  }
}
