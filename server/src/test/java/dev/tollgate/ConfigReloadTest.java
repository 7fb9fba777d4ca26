package dev.tollgate;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.config.ConfigLoader;
import dev.tollgate.config.K8sVolume;
import dev.tollgate.config.ReloadResult;
import dev.tollgate.config.TollgateConfig;
import dev.tollgate.quota.InMemoryQuotaStore;
import dev.tollgate.quota.QuotaTarget;
import dev.tollgate.quota.Scope;
import dev.tollgate.testsupport.EnvoyChecks;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running Tollgate picks up a rotated service key from its {@code keys_file}, mounted the way
 * Kubernetes mounts a Secret, with no restart: the operator adds the new key (both work), then
 * removes the old one (it gets 401). A broken file keeps the keys in use, and {@code /ready} and
 * the reload metrics say so.
 */
class ConfigReloadTest {
  private static final String OLD_KEY = "sk-rotation-old";
  private static final String NEW_KEY = "sk-rotation-new";
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir Path tmp;

  private Tollgate tollgate;
  private ManagedChannel channel;

  @AfterEach
  void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (tollgate != null) {
      tollgate.close();
    }
  }

  private static String keys(String... bearers) {
    StringBuilder b = new StringBuilder();
    for (String k : bearers) {
      b.append("- { name: ")
          .append(k.equals(OLD_KEY) ? "web-2025" : "web-2026")
          .append(", sha256: \"")
          .append(TestConfigs.sha256(k))
          .append("\", tier: default }\n");
    }
    return b.toString();
  }

  private CheckResponse check(String bearer) {
    return AuthorizationGrpc.newBlockingStub(channel)
        .check(
            EnvoyChecks.post("/v1/chat/completions")
                .bearer(bearer)
                .header("x-on-behalf-of", "alice")
                .json(
                    "{\"model\":\"gpt-4o-mini\",\"max_tokens\":16,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}")
                .build());
  }

  private static boolean allowed(CheckResponse r) {
    return r.hasOkResponse();
  }

  private static int deniedStatus(CheckResponse r) {
    return r.hasDeniedResponse() ? r.getDeniedResponse().getStatus().getCodeValue() : 200;
  }

  private HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + tollgate.httpPort() + path))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aKeyRotatesWithoutARestart() throws Exception {
    K8sVolume secret = new K8sVolume(tmp.resolve("secrets/tollgate-keys"));
    secret.publish(Map.of("keys.yaml", keys(OLD_KEY)));
    Path file = tmp.resolve("tollgate.yaml");
    Files.writeString(
        file,
        """
        upstream: { api_key: sk-upstream-test }
        keys_file: %s
        identity: { sources: [header:x-on-behalf-of], fallback: anonymous }
        models:
          gpt-4o-mini: { input_usd_per_mtok: 0.15, output_usd_per_mtok: 0.60 }
        tiers:
          default:
            models: [gpt-4o-mini]
            limits:
              - { scope: user, window: 5m, tokens: 20000 }
        routes: { unknown_path: deny }
        server: { grpc_port: 0, http_port: 0, http_address: 127.0.0.1 }
        store: { type: memory }
        """
            .formatted(secret.file("keys.yaml")));
    TollgateConfig config = ConfigLoader.loadTracked(file, Map.of()).config();
    String name = InProcessServerBuilder.generateName();
    tollgate =
        Tollgate.start(
            config,
            InProcessServerBuilder.forName(name).directExecutor(),
            null,
            true,
            Clock.systemUTC(),
            new InMemoryQuotaStore());
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    var quotas = tollgate.quotas();
    tollgate.watch(
        file, f -> ConfigLoader.loadTracked(f, Map.of()), c -> c, Duration.ofMinutes(10));

    assertTrue(allowed(check(OLD_KEY)));
    assertEquals(401, deniedStatus(check(NEW_KEY)));
    long usedBefore = aliceUsed();
    assertTrue(usedBefore > 0);

    // 1. the new key is added: both work
    secret.publish(Map.of("keys.yaml", keys(OLD_KEY, NEW_KEY)));
    await().atMost(Duration.ofSeconds(20)).until(() -> allowed(check(NEW_KEY)));
    assertTrue(allowed(check(OLD_KEY)));

    // 2. the old key is removed: 401
    secret.publish(Map.of("keys.yaml", keys(NEW_KEY)));
    await().atMost(Duration.ofSeconds(20)).until(() -> deniedStatus(check(OLD_KEY)) == 401);
    assertTrue(allowed(check(NEW_KEY)));

    // 3. a broken file: the keys in use stay, the replica stays ready
    secret.publish(Map.of("keys.yaml", "- { name: web-2026, sha256: nope }\n"));
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> tollgate.watcher().count(ReloadResult.Outcome.FAILED) == 1);
    assertTrue(allowed(check(NEW_KEY)));
    assertEquals(401, deniedStatus(check(OLD_KEY)));
    assertEquals(200, get("/ready").statusCode());
    String metrics = get("/metrics").body();
    assertTrue(metrics.contains("tollgate_config_reloads_total{result=\"applied\"} 2.0"), metrics);
    assertTrue(metrics.contains("tollgate_config_reloads_total{result=\"failed\"} 1.0"), metrics);
    assertTrue(metrics.contains("tollgate_config_last_reload_success_timestamp_seconds "), metrics);

    // a tier's models change live too: gpt-4o-mini is no longer allowed
    secret.publish(Map.of("keys.yaml", keys(NEW_KEY)));
    Path edited = tmp.resolve("tollgate.yaml.new");
    Files.writeString(
        edited,
        Files.readString(file)
            .replace("models: [gpt-4o-mini]", "models: [gpt-4o]")
            .replace(
                "gpt-4o-mini: { input_usd_per_mtok: 0.15, output_usd_per_mtok: 0.60 }",
                "gpt-4o-mini: { input_usd_per_mtok: 0.15, output_usd_per_mtok: 0.60 }\n"
                    + "  gpt-4o: { input_usd_per_mtok: 2.50, output_usd_per_mtok: 10.00 }"));
    Files.move(edited, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    await().atMost(Duration.ofSeconds(20)).until(() -> deniedStatus(check(NEW_KEY)) == 403);
    assertEquals(List.of("gpt-4o"), tollgate.config().tiers().get("default").models());

    // usage lives in the store, which a reload never replaces: what alice used before counts on
    assertSame(quotas, tollgate.quotas());
    assertEquals(1, tollgate.config().keys().size());
    assertTrue(aliceUsed() > usedBefore);
  }

  private long aliceUsed() throws Exception {
    var limits = tollgate.config().tiers().get("default").limitsFor(Scope.USER);
    return tollgate
        .quotas()
        .status(QuotaTarget.keyOf(Scope.USER, "alice"), limits)
        .toCompletableFuture()
        .get()
        .get(0)
        .used();
  }
}
