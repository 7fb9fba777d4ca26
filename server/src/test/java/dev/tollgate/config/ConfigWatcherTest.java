package dev.tollgate.config;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.quota.Scope;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ConfigWatcher} on real files in temporary directories: edits, the Kubernetes {@code
 * ..data} link swap, a broken file, settings that need a restart, a reload with nothing new.
 */
class ConfigWatcherTest {
  private static final Map<String, String> ENV = Map.of();
  private static final String SHA_A = "a".repeat(64);
  private static final String SHA_B = "b".repeat(64);

  /** Long enough that a change seen in time was seen through a file-system event. */
  private static final Duration NO_POLL = Duration.ofMinutes(10);

  @TempDir Path tmp;

  private ConfigWatcher watcher;
  private LiveConfig live;
  private final List<ReloadResult> results = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() {
    if (watcher != null) {
      watcher.close();
    }
  }

  static String config(String keysFile, int grpcPort, long tokens, String logFormat) {
    return """
        upstream: { api_key: sk-upstream-test }
        keys_file: %s
        models:
          gpt-4o-mini: { input_usd_per_mtok: 0.15, output_usd_per_mtok: 0.60 }
        tiers:
          default:
            models: [gpt-4o-mini]
            limits:
              - { scope: user, window: 5m, tokens: %d }
        routes: { unknown_path: deny }
        server: { grpc_port: %d, http_port: 0, log_format: %s }
        store: { type: memory }
        """
        .formatted(keysFile, tokens, grpcPort, logFormat);
  }

  static String config(String keysFile) {
    return config(keysFile, 0, 20000, "text");
  }

  static String keys(String... hashes) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < hashes.length; i++) {
      b.append("- { name: k")
          .append(i)
          .append(", sha256: \"")
          .append(hashes[i])
          .append("\", tier: default, role: service }\n");
    }
    return b.toString();
  }

  private void watch(Path file, Duration poll) throws Exception {
    live = LiveConfig.of(ConfigLoader.loadTracked(file, ENV).config());
    watcher =
        new ConfigWatcher(
                file, live, f -> ConfigLoader.loadTracked(f, ENV), c -> c, poll, Clock.systemUTC())
            .onReload(results::add)
            .start();
  }

  private ReloadResult awaitResult(ReloadResult.Outcome outcome) {
    return await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> results.stream().filter(r -> r.outcome() == outcome).findFirst().orElse(null),
            r -> r != null);
  }

  @Test
  void anEditedKeysFileAppliesWithoutARestart() throws Exception {
    Path file = tmp.resolve("tollgate.yaml");
    Files.writeString(file, config("keys.yaml"));
    Files.writeString(tmp.resolve("keys.yaml"), keys(SHA_A));
    watch(file, NO_POLL);
    assertEquals(List.of(file, tmp.resolve("keys.yaml")), watcher.files());

    Files.writeString(tmp.resolve("keys.yaml"), keys(SHA_A, SHA_B));

    await().atMost(Duration.ofSeconds(20)).until(() -> live.get().keys().size() == 2);
    // the configuration is swapped in before the listeners hear of the reload
    await().atMost(Duration.ofSeconds(20)).until(() -> !results.isEmpty());
    assertEquals(ReloadResult.Outcome.APPLIED, results.get(results.size() - 1).outcome());
    assertEquals(List.of(), results.get(results.size() - 1).needsRestart());
  }

  @Test
  void aKubernetesDataLinkSwapIsSeen() throws Exception {
    K8sVolume volume = new K8sVolume(tmp.resolve("etc-tollgate"));
    volume.publish(Map.of("tollgate.yaml", config("keys.yaml"), "keys.yaml", keys(SHA_A)));
    Path file = volume.file("tollgate.yaml");
    watch(file, NO_POLL);

    volume.publish(Map.of("tollgate.yaml", config("keys.yaml"), "keys.yaml", keys(SHA_A, SHA_B)));
    await().atMost(Duration.ofSeconds(20)).until(() -> live.get().keys().size() == 2);

    volume.publish(Map.of("tollgate.yaml", config("keys.yaml"), "keys.yaml", keys(SHA_B)));
    await().atMost(Duration.ofSeconds(20)).until(() -> live.get().keys().size() == 1);
    assertEquals(
        "b".repeat(64), java.util.HexFormat.of().formatHex(live.get().keys().get(0).sha256()));
    // the configuration is swapped in before the reload is counted
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> watcher.count(ReloadResult.Outcome.APPLIED) == 2);
    assertEquals(0, watcher.count(ReloadResult.Outcome.FAILED));
  }

  @Test
  void aSecretInAnotherDirectoryIsWatchedToo() throws Exception {
    K8sVolume secret = new K8sVolume(tmp.resolve("secret"));
    secret.publish(Map.of("keys.yaml", keys(SHA_A)));
    Path file = tmp.resolve("tollgate.yaml");
    Files.writeString(file, config(secret.file("keys.yaml").toString()));
    watch(file, NO_POLL);

    secret.publish(Map.of("keys.yaml", keys(SHA_A, SHA_B)));

    await().atMost(Duration.ofSeconds(20)).until(() -> live.get().keys().size() == 2);
  }

  @Test
  void aBrokenFileKeepsTheLastGoodConfigurationAndSaysWhere() throws Exception {
    Path file = tmp.resolve("tollgate.yaml");
    Files.writeString(file, config("keys.yaml"));
    Files.writeString(tmp.resolve("keys.yaml"), keys(SHA_A));
    watch(file, NO_POLL);
    TollgateConfig good = live.get();

    Files.writeString(tmp.resolve("keys.yaml"), keys(SHA_A, "not-hex"));

    ReloadResult failed = awaitResult(ReloadResult.Outcome.FAILED);
    assertTrue(
        failed.errors().stream()
            .anyMatch(e -> e.startsWith(file + ": keys_file[1].sha256: not 64 hex digits")),
        failed.errors().toString());
    assertEquals(good, live.get());
    assertEquals(1, watcher.count(ReloadResult.Outcome.FAILED));

    // a syntax error in the configuration file itself
    Files.writeString(file, config("keys.yaml").replace("tiers:", "tiers: ["));
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> watcher.count(ReloadResult.Outcome.FAILED) == 2);
    assertEquals(good, live.get());

    Files.writeString(file, config("keys.yaml"));
    Files.writeString(tmp.resolve("keys.yaml"), keys(SHA_A, SHA_B));
    await().atMost(Duration.ofSeconds(20)).until(() -> live.get().keys().size() == 2);
  }

  @Test
  void listenersAndStoreNeedARestartTheRestApplies() throws Exception {
    Path file = tmp.resolve("tollgate.yaml");
    Files.writeString(file, config("keys.yaml"));
    Files.writeString(tmp.resolve("keys.yaml"), keys(SHA_A));
    watch(file, NO_POLL);

    Files.writeString(
        file,
        config("keys.yaml", 50099, 30000, "json")
            .replace("store: { type: memory }", "store: { type: memory, deadline_ms: 300 }"));

    ReloadResult r = awaitResult(ReloadResult.Outcome.APPLIED);
    assertEquals(List.of("server.grpc_port", "store.deadline_ms"), r.needsRestart());
    TollgateConfig now = live.get();
    assertEquals(0, now.server().grpcPort(), "kept until a restart");
    assertEquals(Duration.ofMillis(150), now.store().deadline(), "kept until a restart");
    assertEquals(30000, now.tiers().get("default").limitsFor(Scope.USER).get(0).max());
    assertEquals(ServerConfig.LogFormat.JSON, now.server().logFormat());
  }

  @Test
  void aReloadWithNothingNewIsUnchanged() throws Exception {
    Path file = tmp.resolve("tollgate.yaml");
    Files.writeString(file, config("keys.yaml"));
    Files.writeString(tmp.resolve("keys.yaml"), keys(SHA_A));
    watch(file, NO_POLL);
    TollgateConfig before = live.get();

    ReloadResult r = watcher.reload("SIGHUP");

    assertEquals(ReloadResult.Outcome.UNCHANGED, r.outcome());
    assertEquals("SIGHUP", r.trigger());
    assertTrue(before == live.get());
    assertEquals(null, watcher.reloadIfChanged("poll"), "no change, no reload");
  }

  @Test
  void aValueThatCannotBeBuiltFromTheNewConfigurationKeepsTheOld() throws Exception {
    Path file = tmp.resolve("tollgate.yaml");
    Files.writeString(file, config("keys.yaml"));
    Files.writeString(tmp.resolve("keys.yaml"), keys(SHA_A));
    watch(file, NO_POLL);
    var keyCount =
        live.derive(
            c -> {
              if (c.keys().size() > 1) {
                throw new IllegalArgumentException("two keys are too many");
              }
              return c.keys().size();
            });

    Files.writeString(tmp.resolve("keys.yaml"), keys(SHA_A, SHA_B));

    ReloadResult r = awaitResult(ReloadResult.Outcome.FAILED);
    assertTrue(r.errors().get(0).contains("two keys are too many"), r.errors().toString());
    assertEquals(1, live.get().keys().size());
    assertEquals(1, keyCount.get());
  }
}
