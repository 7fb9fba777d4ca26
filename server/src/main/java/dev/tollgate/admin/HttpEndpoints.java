package dev.tollgate.admin;

import com.sun.net.httpserver.HttpExchange;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The HTTP side: {@code /metrics} (Prometheus), {@code /ready} (200 once serving, 503 before and
 * while shutting down), {@code /healthz} (200 while the process runs) and, given the admin service,
 * {@code /dashboard} (the usage analytics page) with the JSON admin calls it reads ({@code POST
 * /admin/v1/<Method>}, {@link AdminJson}).
 */
public final class HttpEndpoints implements AutoCloseable {
  private final HTTPServer server;
  private final InetSocketAddress boundAddress;

  private final AdminJson admin;

  private HttpEndpoints(HTTPServer server, InetSocketAddress boundAddress, AdminJson admin) {
    this.server = server;
    this.boundAddress = boundAddress;
    this.admin = admin;
  }

  /** Starts on {@code address} (an IP literal or host name), {@code port} (0 = any free port). */
  public static HttpEndpoints start(
      String address, int port, PrometheusRegistry registry, BooleanSupplier ready)
      throws IOException {
    return start(address, port, registry, ready, null);
  }

  /**
   * Starts on {@code address}, {@code port} (0 = any free port), with the dashboard and the JSON
   * admin calls when {@code admin} is given.
   */
  public static HttpEndpoints start(
      String address, int port, PrometheusRegistry registry, BooleanSupplier ready, AdminJson admin)
      throws IOException {
    Dashboard dashboard = admin == null ? null : new Dashboard();
    ExecutorService exec =
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "tollgate-http");
              t.setDaemon(true);
              return t;
            });
    HTTPServer s =
        HTTPServer.builder()
            .hostname(address)
            .port(port)
            .registry(registry)
            .executorService(exec)
            .registerHealthHandler(false)
            .defaultHandler(ex -> handle(ex, ready, dashboard, admin))
            .buildAndStart();
    return new HttpEndpoints(s, new InetSocketAddress(address, s.getPort()), admin);
  }

  private static void handle(
      HttpExchange ex, BooleanSupplier ready, Dashboard dashboard, AdminJson admin)
      throws IOException {
    String path = ex.getRequestURI().getPath();
    if (dashboard != null && Dashboard.serves(path)) {
      dashboard.handle(ex);
      return;
    }
    if (admin != null && path.startsWith(AdminJson.PREFIX)) {
      admin.handle(ex);
      return;
    }
    int status;
    String body;
    switch (path) {
      case "/ready" -> {
        boolean r = ready.getAsBoolean();
        status = r ? 200 : 503;
        body = r ? "ready\n" : "not ready\n";
      }
      case "/healthz", "/-/healthy" -> {
        status = 200;
        body = "ok\n";
      }
      default -> {
        status = 404;
        body =
            "not found: try /metrics, /ready, /healthz"
                + (dashboard == null ? "" : ", /dashboard")
                + "\n";
      }
    }
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("content-type", "text/plain; charset=utf-8");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** The bound port. */
  public int port() {
    return server.getPort();
  }

  @Override
  public void close() {
    server.close();
    if (admin != null) {
      admin.close();
    }
  }

  /** The address bound (a loopback address to reach it when bound to every interface). */
  public InetSocketAddress address() {
    InetSocketAddress bound = boundAddress;
    if (bound.getAddress() == null || bound.getAddress().isAnyLocalAddress()) {
      return new InetSocketAddress("127.0.0.1", server.getPort());
    }
    return new InetSocketAddress(bound.getAddress(), server.getPort());
  }
}
