package dev.tollgate;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Random;

/**
 * Free loopback ports for the listeners the server's tests start (gRPC, HTTP, Hazelcast members).
 */
public final class FreePorts {
  private static final Random PORTS = new Random();

  private FreePorts() {}

  /**
   * A free port below Linux's ephemeral range (32768+), so that outgoing connections made while a
   * test runs cannot take it between this check and the server's bind.
   */
  public static synchronized int freePort() {
    for (int i = 0; i < 200; i++) {
      int port = 20000 + PORTS.nextInt(12000);
      try (ServerSocket s = new ServerSocket()) {
        s.setReuseAddress(false);
        s.bind(new InetSocketAddress("127.0.0.1", port));
        return port;
      } catch (IOException taken) {
        // try another
      }
    }
    throw new IllegalStateException("no free port in 20000-32000");
  }
}
