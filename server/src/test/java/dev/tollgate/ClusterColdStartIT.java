package dev.tollgate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three {@code tollgate serve} processes started at the same moment (a Deployment's cold start)
 * with {@code store.hazelcast.min_cluster_size}: none serves before it is a member of the one
 * cluster of all three, so no replica ever enforces the limits alone.
 */
class ClusterColdStartIT {
  private static final Pattern READY =
      Pattern.compile("hazelcast\\.ready: embedded mode, cluster '[^']+', (\\d+) member\\(s\\)");

  @TempDir Path dir;

  @Test
  void replicasStartedTogetherServeOnlyAsOneCluster() throws Exception {
    int n = 3;
    LoopbackReplicas replicas =
        new LoopbackReplicas(
            n, dir, "- { scope: user, window: 5m, tokens: 3000 }", ", min_cluster_size: " + n);
    int[] grpc = replicas.grpcPorts;
    List<ProcessBuilder> builders = replicas.builders;
    List<Process> procs = new ArrayList<>();
    List<ManagedChannel> channels = new ArrayList<>();
    try {
      // all at once, as a Deployment's pods start
      for (ProcessBuilder pb : builders) {
        procs.add(pb.start());
      }
      for (int i = 0; i < n; i++) {
        channels.add(NettyChannelBuilder.forAddress("127.0.0.1", grpc[i]).usePlaintext().build());
      }
      for (int i = 0; i < n; i++) {
        ClusterServeIT.awaitServing(channels.get(i), procs.get(i), replicas.log(i));
      }
      for (int i = 0; i < n; i++) {
        String log = Files.readString(replicas.log(i));
        Matcher ready = READY.matcher(log);
        assertTrue(ready.find(), "replica " + i + " reports its store:\n" + log);
        // the store is ready (and the gRPC port open) only once the member is in a cluster of all
        // three
        assertEquals(
            Integer.toString(n),
            ready.group(1),
            "replica " + i + " started serving in a cluster of " + ready.group(1) + ":\n" + log);
        int serving = log.indexOf("Tollgate serving");
        assertTrue(
            serving > ready.start(),
            "replica " + i + " served before its cluster was complete:\n" + log);
      }
    } finally {
      for (ManagedChannel ch : channels) {
        ch.shutdownNow();
      }
      for (Process p : procs) {
        p.destroy();
      }
      for (Process p : procs) {
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
    }
  }
}
