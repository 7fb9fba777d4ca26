package dev.tollgate.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.JsonFormat;
import dev.tollgate.TestConfigs;
import dev.tollgate.Tollgate;
import dev.tollgate.admin.v1.GetUsageResponse;
import io.grpc.Status;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /admin/v1/<Method>}: the admin calls as JSON on the HTTP port, with the admin-key
 * check of gRPC, bounded bodies, only POST, and gRPC statuses as HTTP statuses; {@code /dashboard}
 * serves its files (with a strict Content-Security-Policy) and {@code /metrics} is unchanged.
 */
class AdminJsonTest {
  static final String ADMIN_KEY = "sk-test-admin";
  private static Tollgate tollgate;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /** The test config with an admin key ({@code ops}), bound to loopback. */
  static String yaml(String limits) {
    return TestConfigs.yaml(limits, "memory", "deny")
        .replace(
            "keys:\n",
            "keys:\n  - { name: ops, sha256: \""
                + TestConfigs.sha256(ADMIN_KEY)
                + "\", tier: default, role: admin }\n")
        .replace(
            "server: { grpc_port: 0, http_port: 0 }",
            "server: { grpc_port: 0, http_port: 0, grpc_address: 127.0.0.1, http_address:"
                + " 127.0.0.1 }");
  }

  @BeforeAll
  static void start() throws Exception {
    tollgate = Tollgate.start(TestConfigs.parse(yaml(TestConfigs.DEFAULT_LIMITS)));
  }

  @AfterAll
  static void stop() {
    tollgate.close();
  }

  private static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + tollgate.httpPort() + path);
  }

  static HttpResponse<String> post(String path, String key, String body) throws Exception {
    return post(tollgate, path, key, body);
  }

  /** {@code POST path} on {@code t}'s HTTP port with the admin key. */
  static HttpResponse<String> post(Tollgate t, String path, String body) throws Exception {
    return post(t, path, ADMIN_KEY, body);
  }

  private static HttpResponse<String> post(Tollgate t, String path, String key, String body)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + t.httpPort() + path))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (key != null) {
      b.header("authorization", "Bearer " + key);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void getUsageAnswersTheProtoMessageAsJson() throws Exception {
    HttpResponse<String> r =
        post("/admin/v1/GetUsage", ADMIN_KEY, "{\"scope\": \"USER\", \"id\": \"alice\"}");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("no-store", r.headers().firstValue("cache-control").orElse(""));
    assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"));
    GetUsageResponse.Builder b = GetUsageResponse.newBuilder();
    JsonFormat.parser().merge(r.body(), b);
    assertEquals("user:alice", b.getQuotaKey());
    assertEquals(3, b.getWindowsCount(), r.body());
    assertEquals(200000, b.getWindows(1).getLimit());
  }

  @Test
  void theAdminKeyIsChecked() throws Exception {
    HttpResponse<String> none = post("/admin/v1/GetUsage", null, "{}");
    assertEquals(401, none.statusCode());
    assertTrue(none.body().contains("\"code\": \"UNAUTHENTICATED\""), none.body());
    assertEquals(401, post("/admin/v1/GetUsage", "sk-wrong", "{}").statusCode());
    HttpResponse<String> service = post("/admin/v1/UsageReport", TestConfigs.SERVICE_KEY, "{}");
    assertEquals(403, service.statusCode());
    assertTrue(service.body().contains("PERMISSION_DENIED"), service.body());
    assertTrue(service.body().contains("is not an admin key"), service.body());
  }

  @Test
  void badRequestsAreRefusedWithAJsonError() throws Exception {
    HttpResponse<String> scope = post("/admin/v1/GetUsage", ADMIN_KEY, "{\"id\": \"alice\"}");
    assertEquals(400, scope.statusCode());
    assertTrue(scope.body().contains("INVALID_ARGUMENT"), scope.body());
    assertEquals(400, post("/admin/v1/GetUsage", ADMIN_KEY, "{not json").statusCode());
    assertEquals(400, post("/admin/v1/GetUsage", ADMIN_KEY, "{\"nope\": 1}").statusCode());
    HttpResponse<String> big =
        post("/admin/v1/GetUsage", ADMIN_KEY, " ".repeat(AdminJson.MAX_BODY_BYTES + 1));
    assertEquals(413, big.statusCode());
    HttpResponse<String> get = get("/admin/v1/GetUsage");
    assertEquals(405, get.statusCode());
    assertEquals("POST", get.headers().firstValue("allow").orElse(""));
    assertEquals(404, post("/admin/v1/ResetUsage", ADMIN_KEY, "{}").statusCode());
    assertEquals(404, post("/admin/v1/Nope", ADMIN_KEY, "{}").statusCode());
  }

  @Test
  void analyticsAndOverrideCallsAnswer() throws Exception {
    for (String call : new String[] {"UsageReport", "TopUsers", "AdviseLimits", "ListOverrides"}) {
      HttpResponse<String> r = post("/admin/v1/" + call, ADMIN_KEY, "{}");
      assertEquals(200, r.statusCode(), call + ": " + r.body());
    }
    HttpResponse<String> tier = post("/admin/v1/UsageReport", ADMIN_KEY, "{\"tier\": \"nope\"}");
    assertEquals(400, tier.statusCode(), tier.body());
    assertTrue(tier.body().contains("INVALID_ARGUMENT"), tier.body());
  }

  @Test
  void aCallTheServiceDoesNotImplementIsUnimplemented() {
    AdminJson json =
        new AdminJson(
            new dev.tollgate.admin.v1.QuotaAdminGrpc.QuotaAdminImplBase() {}.bindService(),
            tollgate.config());
    AdminJson.Outcome o =
        json.call(
            "UsageReport",
            dev.tollgate.admin.v1.UsageReportRequest.getDefaultInstance(),
            new io.grpc.Metadata());
    assertEquals(Status.Code.UNIMPLEMENTED, o.status().getCode());
    assertEquals(501, AdminJson.httpStatus(o.status().getCode()));
    assertEquals(null, o.response());
  }

  @Test
  void slowAdminCallsDoNotHoldUpReadiness() throws Exception {
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    var slow =
        new dev.tollgate.admin.v1.QuotaAdminGrpc.QuotaAdminImplBase() {
          @Override
          public void usageReport(
              dev.tollgate.admin.v1.UsageReportRequest request,
              io.grpc.stub.StreamObserver<dev.tollgate.admin.v1.UsageReportResponse> out) {
            try {
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            out.onNext(dev.tollgate.admin.v1.UsageReportResponse.newBuilder().setTier("t").build());
            out.onCompleted();
          }
        };
    try (HttpEndpoints http =
        HttpEndpoints.start(
            "127.0.0.1",
            0,
            new io.prometheus.metrics.model.registry.PrometheusRegistry(),
            () -> true,
            new AdminJson(slow.bindService(), tollgate.config()))) {
      String base = "http://127.0.0.1:" + http.port();
      List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> pending =
          new java.util.ArrayList<>();
      for (int i = 0; i < 6; i++) {
        pending.add(
            HTTP.sendAsync(
                HttpRequest.newBuilder(URI.create(base + "/admin/v1/UsageReport"))
                    .header("authorization", "Bearer " + ADMIN_KEY)
                    .POST(HttpRequest.BodyPublishers.ofString("{}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString()));
      }
      Thread.sleep(300);
      HttpResponse<String> ready =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(base + "/ready"))
                  .timeout(java.time.Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, ready.statusCode());
      release.countDown();
      for (var f : pending) {
        HttpResponse<String> r = f.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().contains("\"tier\": \"t\""), r.body());
      }
    } finally {
      release.countDown();
    }
  }

  @Test
  void grpcStatusesMapToHttpStatuses() {
    assertEquals(400, AdminJson.httpStatus(Status.Code.INVALID_ARGUMENT));
    assertEquals(401, AdminJson.httpStatus(Status.Code.UNAUTHENTICATED));
    assertEquals(403, AdminJson.httpStatus(Status.Code.PERMISSION_DENIED));
    assertEquals(404, AdminJson.httpStatus(Status.Code.NOT_FOUND));
    assertEquals(501, AdminJson.httpStatus(Status.Code.UNIMPLEMENTED));
    assertEquals(500, AdminJson.httpStatus(Status.Code.INTERNAL));
    assertEquals(500, AdminJson.httpStatus(Status.Code.UNKNOWN));
  }

  @Test
  void theDashboardIsServedWithAStrictPolicy() throws Exception {
    HttpResponse<String> page = get("/dashboard");
    assertEquals(200, page.statusCode());
    assertTrue(page.headers().firstValue("content-type").orElse("").startsWith("text/html"));
    String csp = page.headers().firstValue("content-security-policy").orElse("");
    assertTrue(csp.startsWith("default-src 'self'"), csp);
    assertTrue(!csp.contains("unsafe"), csp);
    assertTrue(!page.body().contains("<script>"), "no inline script");
    assertTrue(!page.body().contains("style="), "no inline style");
    assertTrue(!page.body().contains("http://") && !page.body().contains("https://"), "no CDN");
    HttpResponse<String> js = get("/dashboard/vendor/chart.umd.min.js");
    assertEquals(200, js.statusCode());
    assertTrue(js.headers().firstValue("content-type").orElse("").startsWith("text/javascript"));
    assertTrue(js.body().contains("Chart"));
    assertEquals(200, get("/dashboard/vendor/chart.js.LICENSE.md").statusCode());
    assertEquals(
        "text/css; charset=utf-8",
        get("/dashboard/dashboard.css").headers().firstValue("content-type").orElse(""));
    assertEquals(200, get("/dashboard/dashboard.js").statusCode());
    assertEquals(404, get("/dashboard/../pom.xml").statusCode());
    assertEquals(404, get("/dashboard/nope.js").statusCode());
    assertEquals(200, get("/metrics").statusCode());
    assertEquals(200, get("/ready").statusCode());
    assertEquals(200, get("/healthz").statusCode());
  }
}
