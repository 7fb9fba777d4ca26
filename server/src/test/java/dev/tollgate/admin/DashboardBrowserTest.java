package dev.tollgate.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.tollgate.TestConfigs;
import dev.tollgate.Tollgate;
import dev.tollgate.admin.v1.AdviseLimitsResponse;
import dev.tollgate.admin.v1.ListOverridesResponse;
import dev.tollgate.admin.v1.TopUsersResponse;
import dev.tollgate.admin.v1.UsageReportResponse;
import dev.tollgate.ledger.LedgerKey;
import dev.tollgate.ledger.UsageLedger;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser (headless Chromium from the system's packages, driven by
 * chromedriver): an in-process Tollgate with an admin key and a month of usage in its ledger; the
 * page refuses a wrong key, then shows the admin API's numbers and draws its charts, with nothing
 * logged as an error in the browser's console. The screenshot is {@code target/dashboard.png}.
 */
class DashboardBrowserTest {
  private static final String LIMITS =
      """
      - { scope: user,   window: 5m,    tokens: 50000 }
      - { scope: user,   window: 1d,    tokens: 200000 }
      - { scope: user,   window: month, tokens: 1500000 }
      - { scope: global, window: 1m,    tokens: 2500000 }
      """;
  private static final Path CHROMIUM = onPath("chromium");
  private static final Path CHROMEDRIVER = onPath("chromedriver");
  private static final Path SCREENSHOT = Path.of("target", "dashboard.png");
  private static final int USERS = 48;

  private static Tollgate tollgate;
  private static WebDriver driver;

  /** An executable named {@code name} on the PATH, else {@code /usr/bin/<name>}. */
  private static Path onPath(String name) {
    String path = System.getenv().getOrDefault("PATH", "");
    for (String dir : path.split(java.io.File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
        return Path.of(dir, name);
      }
    }
    return Path.of("/usr/bin", name);
  }

  @BeforeAll
  static void start() throws Exception {
    Assumptions.assumeTrue(
        Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "no browser to run: chromium and chromedriver are needed on the PATH ("
            + (Files.isExecutable(CHROMIUM) ? "" : "no " + CHROMIUM + "; ")
            + (Files.isExecutable(CHROMEDRIVER) ? "" : "no " + CHROMEDRIVER + "; ")
            + "apt-get install chromium chromium-driver, as .ci/run does)");
    tollgate = Tollgate.start(TestConfigs.parse(AdminJsonTest.yaml(LIMITS)));
    usage(tollgate.ledger());
    override();

    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1440,1000",
        "--force-device-scale-factor=1",
        "--lang=en-US");
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability(ChromeOptions.LOGGING_PREFS, logs);
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
    driver = new ChromeDriver(service, options);
    driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(20));
  }

  @AfterAll
  static void stop() {
    if (driver != null) {
      driver.quit();
    }
    if (tollgate != null) {
      tollgate.close();
    }
  }

  /**
   * A month of usage: {@value #USERS} users over the days of this month so far (at most 10), two
   * models, a few heavy users refused by the daily limit.
   */
  private static void usage(UsageLedger ledger) {
    LocalDate today = LocalDate.now(ZoneOffset.UTC);
    int days = Math.min(10, today.getDayOfMonth());
    Random random = new Random(42);
    for (int u = 0; u < USERS; u++) {
      String user = String.format(Locale.ROOT, "user-%02d", u);
      double weight = Math.pow(1.09, u);
      for (int d = 0; d < days; d++) {
        if (d > 0 && random.nextInt(4) == 0) { // every user is active today (the 1st, too)
          continue;
        }
        LocalDate day = today.minusDays(d);
        boolean big = random.nextInt(3) == 0;
        String model = big ? "gpt-4o" : "gpt-4o-mini";
        long input = (long) (weight * (2000 + random.nextInt(4000)));
        long output = input / 3;
        long nanoUsd =
            big ? input * 2_500 + output * 10_000 : input * 150 + output * 600; // per token
        LedgerKey key = new LedgerKey(day, "default", user, "web", model);
        ledger.settled(key, input, input / 10, output, nanoUsd);
        if (u >= USERS - 4 && d < 2) {
          ledger.refused(key, "user", "1d");
        }
      }
    }
    ledger.flush();
  }

  /** An override for the heaviest user, set through the gRPC admin API. */
  private static void override() throws InterruptedException {
    io.grpc.ManagedChannel channel =
        io.grpc.ManagedChannelBuilder.forAddress("127.0.0.1", tollgate.grpcPort())
            .usePlaintext()
            .build();
    try {
      io.grpc.Metadata headers = new io.grpc.Metadata();
      headers.put(
          io.grpc.Metadata.Key.of("authorization", io.grpc.Metadata.ASCII_STRING_MARSHALLER),
          "Bearer " + AdminJsonTest.ADMIN_KEY);
      dev.tollgate.admin.v1.QuotaAdminGrpc.newBlockingStub(channel)
          .withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(headers))
          .setOverride(
              dev.tollgate.admin.v1.SetOverrideRequest.newBuilder()
                  .setScope(dev.tollgate.admin.v1.Scope.USER)
                  .setId("user-47")
                  .addLimits(
                      dev.tollgate.admin.v1.LimitValue.newBuilder()
                          .setWindow("1d")
                          .setTokens(400_000))
                  .build());
    } finally {
      channel.shutdownNow().awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
    }
  }

  private static <T extends Message> T api(String call, String body, T prototype) throws Exception {
    HttpResponse<String> r = AdminJsonTest.post(tollgate, "/admin/v1/" + call, body);
    assertEquals(200, r.statusCode(), call + ": " + r.body());
    Message.Builder b = prototype.newBuilderForType();
    JsonFormat.parser().merge(r.body(), b);
    @SuppressWarnings("unchecked")
    T t = (T) b.build();
    return t;
  }

  private static String usd(double v) {
    return String.format(Locale.US, "$%,.2f", v);
  }

  private static String count(long v) {
    return String.format(Locale.US, "%,d", v);
  }

  private String text(String id) {
    return driver.findElement(By.id(id)).getText();
  }

  private void openAndEnter(String key) {
    driver.get("http://127.0.0.1:" + tollgate.httpPort() + "/dashboard");
    WebElement field = driver.findElement(By.id("key"));
    assertEquals("password", field.getAttribute("type"));
    field.clear();
    field.sendKeys(key);
    driver.findElement(By.id("connect")).click();
  }

  private void awaitState(String state) {
    try {
      new WebDriverWait(driver, Duration.ofSeconds(20))
          .until(
              d ->
                  state.equals(
                      ((JavascriptExecutor) d)
                          .executeScript("return document.body.dataset.state")));
    } catch (org.openqa.selenium.TimeoutException e) {
      throw new AssertionError(
          "the page did not reach state '"
              + state
              + "'; banner: "
              + text("banner")
              + "; console: "
              + severeLogs(),
          e);
    }
  }

  /** Non-transparent pixels of a canvas (0 when absent). */
  private long paintedPixels(String canvasId) {
    Object n =
        ((JavascriptExecutor) driver)
            .executeScript(
                "const c = document.getElementById(arguments[0]);"
                    + "if (!c || !c.width || !c.height) return 0;"
                    + "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                    + "let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;"
                    + "return n;",
                canvasId);
    return ((Number) n).longValue();
  }

  /** Elements of dataset {@code i} of a chart drawn with a visible size (bars, points, arcs). */
  private long drawnElements(String canvasId, int i) {
    Object n =
        ((JavascriptExecutor) driver)
            .executeScript(
                "const c = Chart.getChart(arguments[0]); if (!c) return -1;"
                    + "const a = c.chartArea;"
                    + "return c.getDatasetMeta(arguments[1]).data.filter(e => {"
                    + "  const p = e.getProps(['x', 'y', 'base', 'outerRadius', 'circumference']);"
                    + "  if (p.outerRadius !== undefined) return p.circumference > 0;"
                    + "  const inside = p.x >= a.left && p.x <= a.right && p.y >= a.top && p.y <= a.bottom;"
                    + "  return inside && (p.base === undefined || Math.abs(p.base - p.y) >= 1);"
                    + "}).length;",
                canvasId,
                i);
    return ((Number) n).longValue();
  }

  private List<String> severeLogs() {
    List<String> out = new ArrayList<>();
    for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
      if (e.getLevel().intValue() >= Level.SEVERE.intValue()) {
        out.add(e.getMessage());
      }
    }
    return out;
  }

  @Test
  void theDashboardShowsTheAdminApisNumbers() throws Exception {
    // a wrong key: a clear error, nothing shown, the key not kept
    openAndEnter("sk-not-a-key");
    awaitState("denied");
    String banner = text("banner");
    assertTrue(banner.contains("not accepted") && banner.contains("401"), banner);
    assertEquals("–", text("kpi-tokens"));
    for (String log : severeLogs()) { // the browser reports the 401 answers themselves
      assertTrue(log.contains("status of 401"), "console error: " + log);
    }

    // the admin key
    openAndEnter(AdminJsonTest.ADMIN_KEY);
    awaitState("loaded");
    assertFalse(driver.getCurrentUrl().contains(AdminJsonTest.ADMIN_KEY), driver.getCurrentUrl());
    assertEquals(
        AdminJsonTest.ADMIN_KEY,
        ((JavascriptExecutor) driver)
            .executeScript("return sessionStorage.getItem('tollgate.adminKey')"));
    assertTrue(driver.findElement(By.id("banner")).getText().isEmpty());

    UsageReportResponse report =
        api(
            "UsageReport",
            "{\"tier\": \"default\", \"period\": \"MONTH\"}",
            UsageReportResponse.getDefaultInstance());
    TopUsersResponse top =
        api(
            "TopUsers",
            "{\"tier\": \"default\", \"period\": \"MONTH\", \"by\": \"TOKENS\", \"limit\": 10}",
            TopUsersResponse.getDefaultInstance());
    AdviseLimitsResponse advice =
        api(
            "AdviseLimits",
            "{\"tier\": \"default\", \"percentile\": 95, \"headroom\": 1.2, \"lookback\": 3}",
            AdviseLimitsResponse.getDefaultInstance());
    ListOverridesResponse overrides =
        api("ListOverrides", "{}", ListOverridesResponse.getDefaultInstance());
    screenshot(SCREENSHOT);
    darkScreenshot();
    List<String> errors = severeLogs();
    assertEquals(List.of(), errors, "console errors");

    assertEquals(1, overrides.getOverridesCount(), overrides.toString());
    List<WebElement> overrideRows =
        driver.findElements(By.cssSelector("#table-overrides tbody tr"));
    assertEquals(1, overrideRows.size());
    String row = overrideRows.get(0).getText();
    assertTrue(row.contains("user-47") && row.contains("1d 400,000 tokens"), row);
    for (String panel : List.of("days", "histogram", "refusals", "models", "top", "advice")) {
      String status =
          driver.findElement(By.cssSelector("#panel-" + panel + " [data-status]")).getText();
      assertTrue(status.isEmpty(), panel + ": " + status);
    }

    assertEquals(USERS, report.getActiveUsers(), report.toString());
    assertEquals(usd(report.getTotalUsd()), text("kpi-usd"));
    assertEquals(count(report.getTotalTokens()), text("kpi-tokens"));
    assertEquals(count(report.getTotalRequests()), text("kpi-requests"));
    assertEquals(count(report.getActiveUsers()), text("kpi-users"));
    assertTrue(report.getTotalUsd() > 0 && report.getTotalTokens() > 0, report.toString());

    for (String chart : List.of("chart-days", "chart-histogram", "chart-models")) {
      long painted = paintedPixels(chart);
      assertTrue(painted > 2000, chart + ": " + painted + " pixels drawn");
    }
    assertEquals(
        report.getDaysList().stream().filter(d -> d.getTokens() > 0).count(),
        drawnElements("chart-days", 0),
        "bars of tokens per day");
    assertEquals(report.getDaysCount(), drawnElements("chart-days", 1), "points of spend per day");
    assertTrue(
        drawnElements("chart-histogram", 0) > 0
            && drawnElements("chart-histogram", 0)
                == report.getTokensHistogramList().stream().filter(b -> b.getCount() > 0).count(),
        "histogram bars");
    assertEquals(report.getModelsCount(), drawnElements("chart-models", 0), "model arcs");
    @SuppressWarnings("unchecked")
    List<String> markers =
        (List<String>)
            ((JavascriptExecutor) driver)
                .executeScript(
                    "return Chart.getChart('chart-histogram').options.plugins.markers.lines"
                        + ".map(l => l.label)");
    assertTrue(
        markers.size() == 4
            && markers.get(0).startsWith("p50")
            && markers.get(1).startsWith("p95")
            && markers.get(2).startsWith("p99")
            && markers.get(3).startsWith("limit month"),
        markers.toString());

    List<WebElement> topRows = driver.findElements(By.cssSelector("#table-top tbody tr"));
    assertEquals(top.getUsersCount(), topRows.size());
    assertEquals(
        top.getUsers(0).getUser(), topRows.get(0).findElements(By.tagName("td")).get(1).getText());
    assertEquals(
        count(top.getUsers(0).getTokens()),
        topRows.get(0).findElements(By.tagName("td")).get(3).getText());

    List<WebElement> models = driver.findElements(By.cssSelector("#table-models tbody tr"));
    assertEquals(report.getModelsCount(), models.size());

    List<WebElement> refusals = driver.findElements(By.cssSelector("#table-refusals tbody tr"));
    assertEquals(Math.max(1, report.getRefusalsCount()), refusals.size());

    List<WebElement> adviceRows = driver.findElements(By.cssSelector("#table-advice tbody tr"));
    assertEquals(Math.max(1, advice.getLimitsCount()), adviceRows.size());
  }

  /** The same page in the dark colour scheme: {@code target/dashboard-dark.png}. */
  private void darkScreenshot() throws Exception {
    ((ChromeDriver) driver)
        .executeCdpCommand(
            "Emulation.setEmulatedMedia",
            java.util.Map.of(
                "features",
                List.of(java.util.Map.of("name", "prefers-color-scheme", "value", "dark"))));
    ((JavascriptExecutor) driver).executeScript("document.body.dataset.state = ''");
    driver.findElement(By.id("refresh")).click();
    awaitState("loaded");
    screenshot(SCREENSHOT.resolveSibling("dashboard-dark.png"));
  }

  private void screenshot(Path file) throws Exception {
    Number height =
        (Number)
            ((JavascriptExecutor) driver)
                .executeScript("return document.documentElement.scrollHeight");
    driver.manage().window().setSize(new Dimension(1440, Math.min(4000, height.intValue() + 160)));
    ((JavascriptExecutor) driver)
        .executeAsyncScript("requestAnimationFrame(() => requestAnimationFrame(arguments[0]))");
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.write(file, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
  }
}
