package dev.tollgate.harness;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free loopback ports for servers that cannot bind port 0 themselves (Hazelcast members list each
 * other's ports). Chosen below Linux's ephemeral range (32768+), so that an outgoing connection
 * cannot take one between this check and the server's bind.
 */
public final class LoopbackPorts {
  private LoopbackPorts() {}

  /** The first of {@code n} consecutive ports that are free on 127.0.0.1 now. */
  public static int freeRange(int n) throws IOException {
    for (int attempt = 0; attempt < 200; attempt++) {
      int base = 20000 + ThreadLocalRandom.current().nextInt(12000 - n);
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
    throw new IOException(
        "no " + n + " free consecutive ports between 20000 and 32000 on 127.0.0.1");
  }

  /** Port 0 on 127.0.0.1: the server picks a free port and listens on loopback only. */
  public static InetSocketAddress anyPort() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
  }
}
