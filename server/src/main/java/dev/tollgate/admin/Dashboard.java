package dev.tollgate.admin;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;

/**
 * {@code /dashboard}: the usage analytics page (HTML, script and style from {@code dashboard/} on
 * the class path) and Chart.js from its WebJar under {@code /dashboard/vendor/}. Only these files
 * are served, with a Content-Security-Policy that allows nothing but this origin: the page reads
 * the admin API's JSON ({@link AdminJson}) with the key the operator enters.
 */
public final class Dashboard {
  /** The policy of every file: this origin only, no inline script or style, no framing. */
  public static final String CONTENT_SECURITY_POLICY =
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
          + " connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none';"
          + " frame-ancestors 'none'";

  private static final String CHARTJS = "META-INF/resources/webjars/chart.js/";

  private record File(String resource, String contentType) {}

  private final Map<String, File> files;

  /** The files, found on the class path now (a missing WebJar fails here, not in a browser). */
  public Dashboard() {
    String chartjs = CHARTJS + chartJsVersion() + "/";
    files =
        Map.of(
            "/dashboard", new File("dashboard/index.html", "text/html; charset=utf-8"),
            "/dashboard/", new File("dashboard/index.html", "text/html; charset=utf-8"),
            "/dashboard/dashboard.js",
                new File("dashboard/dashboard.js", "text/javascript; charset=utf-8"),
            "/dashboard/dashboard.css",
                new File("dashboard/dashboard.css", "text/css; charset=utf-8"),
            "/dashboard/favicon.svg", new File("dashboard/favicon.svg", "image/svg+xml"),
            "/dashboard/vendor/chart.umd.min.js",
                new File(chartjs + "dist/chart.umd.min.js", "text/javascript; charset=utf-8"),
            "/dashboard/vendor/chart.js.LICENSE.md",
                new File(chartjs + "LICENSE.md", "text/plain; charset=utf-8"));
    for (File f : files.values()) {
      if (Dashboard.class.getClassLoader().getResource(f.resource()) == null) {
        throw new IllegalStateException("dashboard: " + f.resource() + " not on the class path");
      }
    }
  }

  /** The version of the Chart.js WebJar on the class path. */
  static String chartJsVersion() {
    try (InputStream in =
        Dashboard.class
            .getClassLoader()
            .getResourceAsStream("META-INF/maven/org.webjars.npm/chart.js/pom.properties")) {
      if (in == null) {
        throw new IllegalStateException("dashboard: the Chart.js WebJar is not on the class path");
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** True for the paths this serves (then {@link #handle} answers, 404 for an unknown file). */
  public static boolean serves(String path) {
    return path.equals("/dashboard") || path.startsWith("/dashboard/");
  }

  /** Answers a request for one of the files. */
  public void handle(HttpExchange ex) throws IOException {
    try (ex) {
      var h = ex.getResponseHeaders();
      h.set("content-security-policy", CONTENT_SECURITY_POLICY);
      h.set("x-content-type-options", "nosniff");
      h.set("referrer-policy", "no-referrer");
      h.set("x-frame-options", "DENY");
      File f = files.get(ex.getRequestURI().getPath());
      String method = ex.getRequestMethod();
      if (f == null) {
        text(ex, 404, "not found: the dashboard is at /dashboard\n");
        return;
      }
      if (!method.equals("GET") && !method.equals("HEAD")) {
        h.set("allow", "GET, HEAD");
        text(ex, 405, "method not allowed\n");
        return;
      }
      byte[] bytes;
      try (InputStream in = Dashboard.class.getClassLoader().getResourceAsStream(f.resource())) {
        bytes = in.readAllBytes();
      }
      h.set("content-type", f.contentType());
      h.set(
          "cache-control", f.resource().startsWith(CHARTJS) ? "public, max-age=86400" : "no-cache");
      if (method.equals("HEAD")) {
        ex.sendResponseHeaders(200, -1);
        return;
      }
      ex.sendResponseHeaders(200, bytes.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  private static void text(HttpExchange ex, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("content-type", "text/plain; charset=utf-8");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }
}
