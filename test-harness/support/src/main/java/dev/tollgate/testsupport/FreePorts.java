package dev.tollgate.testsupport;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free loopback ports for the listeners that tests and the harness start (gRPC, HTTP, Hazelcast
 * members, which list each other's ports and so cannot bind port 0). Chosen below Linux's ephemeral
 * range (32768+), so that an outgoing connection made meanwhile cannot take one between this check
 * and the server's bind.
 */
public final class FreePorts {
  private static final int LOW = 20000;
  private static final int SPAN = 12000;

  private FreePorts() {}

  /** A port that is free on 127.0.0.1 now. */
  public static int freePort() {
    return freeRange(1);
  }

  /** The first of {@code n} consecutive ports that are free on 127.0.0.1 now. */
  public static synchronized int freeRange(int n) {
    if (n < 1 || n >= SPAN) {
      throw new IllegalArgumentException("n: " + n + " (expected: 1 to " + (SPAN - 1) + ")");
    }
    for (int attempt = 0; attempt < 200; attempt++) {
      int base = LOW + ThreadLocalRandom.current().nextInt(SPAN - n);
      boolean free = true;
      for (int p = base; p < base + n && free; p++) {
        try (ServerSocket s = new ServerSocket()) {
          s.setReuseAddress(false);
          s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), p));
        } catch (IOException taken) {
          free = false;
        }
      }
      if (free) {
        return base;
      }
    }
    throw new IllegalStateException(
        "no "
            + n
            + " free consecutive ports between "
            + LOW
            + " and "
            + (LOW + SPAN)
            + " on 127.0.0.1");
  }

  /** Port 0 on 127.0.0.1: the server picks a free port and listens on loopback only. */
  public static InetSocketAddress anyPort() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
  }
}
