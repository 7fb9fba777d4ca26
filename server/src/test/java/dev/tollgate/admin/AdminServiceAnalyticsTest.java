package dev.tollgate.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.TestConfigs;
import dev.tollgate.Tollgate;
import dev.tollgate.admin.v1.AdviseLimitsRequest;
import dev.tollgate.admin.v1.AdviseLimitsResponse;
import dev.tollgate.admin.v1.LimitAdvice;
import dev.tollgate.admin.v1.Period;
import dev.tollgate.admin.v1.QuotaAdminGrpc;
import dev.tollgate.admin.v1.TopBy;
import dev.tollgate.admin.v1.TopUsersRequest;
import dev.tollgate.admin.v1.TopUsersResponse;
import dev.tollgate.admin.v1.UsageReportRequest;
import dev.tollgate.admin.v1.UsageReportResponse;
import dev.tollgate.config.TollgateConfig;
import dev.tollgate.ledger.DailyUsage;
import dev.tollgate.ledger.LedgerKey;
import dev.tollgate.quota.InMemoryQuotaStore;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The analytics calls of the admin API, over in-process gRPC, with rows in the ledger. */
class AdminServiceAnalyticsTest {
  private static final String ADMIN_KEY = "sk-test-admin";
  private static final Instant NOW = Instant.parse("2026-11-04T12:00:00Z");
  private Tollgate tollgate;
  private ManagedChannel channel;

  private QuotaAdminGrpc.QuotaAdminBlockingStub stub(String bearer) {
    Metadata auth = new Metadata();
    auth.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + bearer);
    return QuotaAdminGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth))
        .withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private QuotaAdminGrpc.QuotaAdminBlockingStub admin() {
    return stub(ADMIN_KEY);
  }

  @BeforeEach
  void start() throws Exception {
    String yaml =
        TestConfigs.yaml(
                """
                - { scope: user,   window: 5m,    tokens: 20000 }
                - { scope: user,   window: 1d,    tokens: 1000 }
                - { scope: user,   window: month, usd: 5.00 }
                """,
                "memory",
                "deny")
            .replace(
                "keys:\n",
                "keys:\n  - { name: ops, sha256: \""
                    + TestConfigs.sha256(ADMIN_KEY)
                    + "\", tier: default, role: admin }\n");
    TollgateConfig config = TestConfigs.parse(yaml);
    String name = InProcessServerBuilder.generateName();
    tollgate =
        Tollgate.start(
            config,
            InProcessServerBuilder.forName(name).directExecutor(),
            null,
            false,
            Clock.fixed(NOW, ZoneOffset.UTC),
            new InMemoryQuotaStore());
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    add("2026-11-01", "alice", 100, 50, 1000, Map.of());
    add("2026-11-02", "alice", 50, 50, 500, Map.of());
    add("2026-11-02", "bob", 900, 600, 6000, Map.of("user:1d", 2L));
    add("2026-11-03", "carol", 200, 100, 3000, Map.of());
  }

  private void add(String day, String user, long in, long out, long nano, Map<String, Long> ref) {
    tollgate
        .ledger()
        .add(
            new LedgerKey(LocalDate.parse(day), "default", user, "web", "gpt-4o-mini"),
            new DailyUsage(1, 0, in, 0, out, nano, ref));
  }

  @AfterEach
  void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (tollgate != null) {
      tollgate.close();
    }
  }

  @Test
  void usageReport() {
    UsageReportResponse r =
        admin()
            .usageReport(
                UsageReportRequest.newBuilder()
                    .setTier("default")
                    .setPeriod(Period.DAY)
                    .setFrom("2026-11-01")
                    .setTo("2026-11-03")
                    .build());
    assertEquals("2026-11-01", r.getFrom());
    assertEquals("2026-11-03", r.getTo());
    assertEquals(3, r.getActiveUsers());
    // per user and day: 150, 100, 1500, 300 → p50 = rank 2 = 150, p90 = rank 4 = 1500
    assertEquals(4, r.getTokensPerUser().getSamples());
    assertEquals(150, r.getTokensPerUser().getP50());
    assertEquals(1500, r.getTokensPerUser().getP90());
    assertEquals(2050, r.getTotalTokens());
    assertEquals(10500e-9, r.getTotalUsd(), 1e-15);
    assertEquals(4, r.getTotalRequests());
    assertEquals(3, r.getDaysCount());
    assertEquals(2, r.getDays(1).getRefusals());
    assertEquals("user", r.getRefusals(1).getScope());
    assertEquals("1d", r.getRefusals(1).getWindow());
    assertEquals(1, r.getRefusals(1).getUsers());
    assertEquals(3, r.getLimitsCount());
    assertEquals(5.0, r.getLimits(2).getValue());
    assertEquals("usd", r.getLimits(2).getUnit());
    assertFalse(r.getTokensHistogramList().isEmpty());
    assertEquals(1, r.getModelsCount());

    // the default: the month holding today
    UsageReportResponse month =
        admin().usageReport(UsageReportRequest.newBuilder().setTier("default").build());
    assertEquals(Period.MONTH, month.getPeriod());
    assertEquals("2026-11-01", month.getFrom());
    assertEquals("2026-11-30", month.getTo());
    assertEquals(3, month.getTokensPerUser().getSamples());
  }

  @Test
  void topUsers() {
    TopUsersResponse r =
        admin()
            .topUsers(
                TopUsersRequest.newBuilder()
                    .setTier("default")
                    .setPeriod(Period.MONTH)
                    .setBy(TopBy.USD)
                    .setLimit(2)
                    .build());
    assertEquals(2, r.getUsersCount());
    assertEquals("bob", r.getUsers(0).getUser());
    assertEquals(6000e-9, r.getUsers(0).getUsd(), 1e-15);
    assertEquals(2, r.getUsers(0).getRefusals());
    assertEquals("carol", r.getUsers(1).getUser());
  }

  @Test
  void adviseLimits() {
    AdviseLimitsResponse r =
        admin().adviseLimits(AdviseLimitsRequest.newBuilder().setTier("default").build());
    assertEquals(95, r.getPercentile());
    assertEquals(1.2, r.getHeadroom());
    assertEquals(3, r.getLookback());
    assertEquals(3, r.getLimitsCount());
    assertFalse(r.getLimits(0).getAdvisable()); // 5m
    LimitAdvice daily = r.getLimits(1);
    assertTrue(daily.getAdvisable(), daily.getNote());
    // samples 150, 100, 1500, 300: p95 = 1500 × 1.2 = 1800 → 2000
    assertEquals(4, daily.getSamples());
    assertEquals(2000, daily.getSuggested());
    assertEquals(1, daily.getUsersRefusedCurrent());
    assertEquals(0, daily.getUsersRefusedSuggested());
    assertFalse(r.getLimits(2).getAdvisable()); // no complete month yet
  }

  @Test
  void badArgumentsAreInvalidArgument() {
    expect(
        Status.Code.INVALID_ARGUMENT,
        "tier: 'gold'",
        () -> admin().usageReport(UsageReportRequest.newBuilder().setTier("gold").build()));
    expect(
        Status.Code.INVALID_ARGUMENT,
        "from: '2026-13-01'",
        () ->
            admin()
                .usageReport(
                    UsageReportRequest.newBuilder()
                        .setTier("default")
                        .setFrom("2026-13-01")
                        .build()));
    expect(
        Status.Code.INVALID_ARGUMENT,
        "after",
        () ->
            admin()
                .topUsers(
                    TopUsersRequest.newBuilder()
                        .setTier("default")
                        .setFrom("2026-11-03")
                        .setTo("2026-11-01")
                        .build()));
    expect(
        Status.Code.INVALID_ARGUMENT,
        "at most 400",
        () ->
            admin()
                .usageReport(
                    UsageReportRequest.newBuilder()
                        .setTier("default")
                        .setPeriod(Period.DAY)
                        .setFrom("2025-01-01")
                        .setTo("2026-11-01")
                        .build()));
    expect(
        Status.Code.INVALID_ARGUMENT,
        "limit",
        () ->
            admin()
                .topUsers(TopUsersRequest.newBuilder().setTier("default").setLimit(1001).build()));
    expect(
        Status.Code.INVALID_ARGUMENT,
        "percentile",
        () ->
            admin()
                .adviseLimits(
                    AdviseLimitsRequest.newBuilder()
                        .setTier("default")
                        .setPercentile(101)
                        .build()));
    expect(
        Status.Code.INVALID_ARGUMENT,
        "headroom",
        () ->
            admin()
                .adviseLimits(
                    AdviseLimitsRequest.newBuilder().setTier("default").setHeadroom(0.5).build()));
    expect(
        Status.Code.INVALID_ARGUMENT,
        "lookback",
        () ->
            admin()
                .adviseLimits(
                    AdviseLimitsRequest.newBuilder().setTier("default").setLookback(25).build()));
  }

  @Test
  void needsAnAdminKey() {
    expect(
        Status.Code.PERMISSION_DENIED,
        "not an admin key",
        () ->
            stub(TestConfigs.SERVICE_KEY)
                .usageReport(UsageReportRequest.newBuilder().setTier("default").build()));
    expect(
        Status.Code.UNAUTHENTICATED,
        "admin key",
        () -> stub("sk-nobody").adviseLimits(AdviseLimitsRequest.getDefaultInstance()));
  }

  private static void expect(Status.Code code, String message, Executable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
    assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
    assertTrue(e.getStatus().getDescription().contains(message), e.getStatus().getDescription());
  }
}
