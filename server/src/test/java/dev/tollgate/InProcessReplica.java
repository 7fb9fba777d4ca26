package dev.tollgate;

import dev.tollgate.admin.v1.QuotaAdminGrpc;
import dev.tollgate.config.TollgateConfig;
import dev.tollgate.quota.QuotaStore;
import dev.tollgate.testsupport.EnvoyChecks;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import java.time.Clock;

/**
 * One Tollgate on an in-process gRPC server, with an admin key: its Check and admin stubs. Tests of
 * the admin API and of what it changes on the Check path.
 */
public final class InProcessReplica implements AutoCloseable {
  /** The bearer value of the admin key ({@code ops}, role admin). */
  public static final String ADMIN_KEY = "sk-test-admin";

  public final Tollgate tollgate;
  public final ManagedChannel channel;

  public InProcessReplica(TollgateConfig config, QuotaStore store) throws Exception {
    String name = InProcessServerBuilder.generateName();
    tollgate =
        Tollgate.start(
            config,
            InProcessServerBuilder.forName(name).directExecutor(),
            null,
            false,
            Clock.systemUTC(),
            store);
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  /**
   * The test config ({@link TestConfigs#yaml}) with the admin key {@code ops} added, and a store
   * deadline of 2 s (a loaded machine's first load of a record from a database may take longer than
   * the usual 150 ms; these tests are not about deadlines).
   */
  public static TollgateConfig config(String limitsYaml, String storeType) {
    return TestConfigs.parse(
        TestConfigs.yaml(limitsYaml, storeType, "deny")
            .replace("deadline_ms: 150", "deadline_ms: 2000")
            .replace(
                "keys:\n",
                "keys:\n  - { name: ops, sha256: \""
                    + TestConfigs.sha256(ADMIN_KEY)
                    + "\", tier: default, role: admin }\n"));
  }

  /** The admin API, called with {@code bearer} (null: no authorization header). */
  public QuotaAdminGrpc.QuotaAdminBlockingStub admin(String bearer) {
    QuotaAdminGrpc.QuotaAdminBlockingStub stub = QuotaAdminGrpc.newBlockingStub(channel);
    if (bearer == null) {
      return stub;
    }
    Metadata auth = new Metadata();
    auth.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + bearer);
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth));
  }

  /** The admin API with the admin key. */
  public QuotaAdminGrpc.QuotaAdminBlockingStub admin() {
    return admin(ADMIN_KEY);
  }

  /**
   * A chat completion Check for {@code user} with the service key {@code web}, asking for at most
   * {@code maxTokens} output tokens.
   */
  public CheckResponse check(String user, int maxTokens) {
    return check(TestConfigs.SERVICE_KEY, user, maxTokens);
  }

  /** The same with another service key. */
  public CheckResponse check(String serviceKey, String user, int maxTokens) {
    return AuthorizationGrpc.newBlockingStub(channel)
        .check(
            EnvoyChecks.post("/v1/chat/completions")
                .bearer(serviceKey)
                .header("x-on-behalf-of", user)
                .json(
                    "{\"model\":\"gpt-4o-mini\",\"max_tokens\":"
                        + maxTokens
                        + ",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}")
                .build());
  }

  @Override
  public void close() {
    channel.shutdownNow();
    tollgate.close();
  }
}
