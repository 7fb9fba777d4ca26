package dev.tollgate;

import dev.tollgate.testsupport.FreePorts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code n} {@code tollgate serve} processes on loopback, each an embedded Hazelcast member of one
 * cluster (TCP-IP member list of all of them), described but not started: the ITs choose whether
 * they start one after the other or all at once.
 */
final class LoopbackReplicas {
  final int[] grpcPorts;
  final List<ProcessBuilder> builders = new ArrayList<>();
  private final Path dir;

  /**
   * @param hazelcastExtra extra {@code store.hazelcast} settings, e.g. {@code ", min_cluster_size:
   *     3"}
   */
  LoopbackReplicas(int n, Path dir, String limitsYaml, String hazelcastExtra) throws Exception {
    this.dir = dir;
    this.grpcPorts = new int[n];
    int[] hzPorts = new int[n];
    List<String> members = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      grpcPorts[i] = FreePorts.freePort();
      hzPorts[i] = FreePorts.freePort();
      members.add("\"127.0.0.1:" + hzPorts[i] + "\"");
    }
    String cluster = "it-" + System.nanoTime();
    for (int i = 0; i < n; i++) {
      String yaml =
          TestConfigs.yaml(limitsYaml, "hazelcast", "deny")
              .replace(
                  "store: { type: hazelcast,",
                  "store: { type: hazelcast, hazelcast: { cluster_name: "
                      + cluster
                      + ", port: "
                      + hzPorts[i]
                      + ", members: "
                      + members
                      + hazelcastExtra
                      + " },");
      Path cfg = dir.resolve("tollgate-" + i + ".yaml");
      Files.writeString(cfg, yaml);
      List<String> cmd = ServeProcessIT.javaCommand();
      cmd.addAll(
          List.of(
              "-jar",
              ServeProcessIT.serverJar().toString(),
              "serve",
              "--config",
              cfg.toString(),
              "--grpc-port",
              Integer.toString(grpcPorts[i]),
              "--http-port",
              "-1"));
      ProcessBuilder pb =
          new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log(i).toFile());
      pb.environment().put("UPSTREAM", TestConfigs.UPSTREAM_KEY);
      builders.add(pb);
    }
  }

  /** Replica {@code i}'s output. */
  Path log(int i) {
    return dir.resolve("out-" + i + ".log");
  }

  /** Starts replica {@code i}. */
  Process start(int i) throws IOException {
    return builders.get(i).start();
  }
}
