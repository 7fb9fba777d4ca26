package dev.tollgate.harness.demo;

import dev.tollgate.admin.v1.AdviseLimitsRequest;
import dev.tollgate.admin.v1.AdviseLimitsResponse;
import dev.tollgate.admin.v1.LimitRefusals;
import dev.tollgate.admin.v1.Period;
import dev.tollgate.admin.v1.QuotaAdminGrpc;
import dev.tollgate.admin.v1.UsageReportRequest;
import dev.tollgate.admin.v1.UsageReportResponse;
import dev.tollgate.cli.AnalyticsText;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The demo's report: UsageReport (this month) and AdviseLimits (95th percentile) for the demo's
 * tier, called over gRPC on the running Tollgate with the run's admin key, as an operator would.
 */
final class DemoReport {
  static final double PERCENTILE = 95;

  private final DemoStack stack;
  private final String tier;
  private final PrintWriter out;

  DemoReport(DemoStack stack, String tier, PrintWriter out) {
    this.stack = stack;
    this.tier = tier;
    this.out = out;
  }

  /** What the report said (null fields: that call was not answered). */
  record Result(UsageReportResponse report, AdviseLimitsResponse advice, String unavailable) {}

  Result run(LedgerTotals ledger) {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", stack.tollgate().grpcPort())
            .usePlaintext()
            .build();
    Metadata auth = new Metadata();
    auth.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
        "Bearer " + stack.adminKey());
    QuotaAdminGrpc.QuotaAdminBlockingStub admin =
        QuotaAdminGrpc.newBlockingStub(channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth));
    UsageReportResponse report = null;
    AdviseLimitsResponse advice = null;
    String unavailable = null;
    try {
      out.println();
      out.printf(
          "Admin API (gRPC 127.0.0.1:%d, admin key '%s', random for this run): UsageReport,"
              + " tier %s, this month%n",
          stack.tollgate().grpcPort(), DemoStack.ADMIN_KEY_NAME, tier);
      try {
        report =
            admin
                .withDeadlineAfter(20, TimeUnit.SECONDS)
                .usageReport(
                    UsageReportRequest.newBuilder().setTier(tier).setPeriod(Period.MONTH).build());
        printReport(report);
        compare(report, ledger);
      } catch (StatusRuntimeException e) {
        unavailable = unanswered("UsageReport", e);
      }
      out.println();
      out.printf("AdviseLimits, tier %s, percentile %.0f:%n", tier, PERCENTILE);
      try {
        advice =
            admin
                .withDeadlineAfter(20, TimeUnit.SECONDS)
                .adviseLimits(
                    AdviseLimitsRequest.newBuilder()
                        .setTier(tier)
                        .setPercentile(PERCENTILE)
                        .build());
        printAdvice(advice);
      } catch (StatusRuntimeException e) {
        String u = unanswered("AdviseLimits", e);
        unavailable = unavailable == null ? u : unavailable;
      }
      out.flush();
    } finally {
      channel.shutdownNow();
      try {
        channel.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return new Result(report, advice, unavailable);
  }

  private String unanswered(String call, StatusRuntimeException e) {
    String line =
        e.getStatus().getCode() == Status.Code.UNIMPLEMENTED
            ? "  " + call + ": UNIMPLEMENTED (this build's admin API has no analytics yet); skipped"
            : "  " + call + ": " + e.getStatus().getCode() + " " + e.getStatus().getDescription();
    out.println(line);
    out.flush();
    return line.strip();
  }

  /** The report as {@code tollgate report} prints it (the CLI's format), indented. */
  private void printReport(UsageReportResponse r) {
    StringWriter text = new StringWriter();
    try (PrintWriter w = new PrintWriter(text)) {
      AnalyticsText.report(r, w);
    }
    indent(text.toString());
  }

  /** Says whether the report's totals are the ledger's, read directly. */
  private void compare(UsageReportResponse r, LedgerTotals l) {
    long refusals = r.getRefusalsList().stream().mapToLong(LimitRefusals::getRefusals).sum();
    List<String> differ = new ArrayList<>();
    if (r.getActiveUsers() != l.users()) {
      differ.add("active users " + r.getActiveUsers() + " vs " + l.users());
    }
    if (r.getTotalRequests() != l.requests()) {
      differ.add("requests " + r.getTotalRequests() + " vs " + l.requests());
    }
    if (r.getTotalTokens() != l.tokens()) {
      differ.add("tokens " + r.getTotalTokens() + " vs " + l.tokens());
    }
    if (refusals != l.refusals()) {
      differ.add("refusals " + refusals + " vs " + l.refusals());
    }
    if (Math.abs(r.getTotalUsd() - l.nanoUsd() / 1e9) > 1e-6) {
      differ.add("cost " + r.getTotalUsd() + " vs " + l.nanoUsd() / 1e9);
    }
    out.println(
        differ.isEmpty()
            ? "  the report's totals are the ledger's (active users, requests, tokens, cost,"
                + " refusals)"
            : "  the report differs from the ledger read directly: " + String.join(", ", differ));
  }

  /** The advice as {@code tollgate advise} prints it (the CLI's format), indented. */
  private void printAdvice(AdviseLimitsResponse r) {
    StringWriter text = new StringWriter();
    try (PrintWriter w = new PrintWriter(text)) {
      AnalyticsText.advice(r, w);
    }
    indent(text.toString());
  }

  private void indent(String text) {
    text.lines().forEach(line -> out.println(line.isEmpty() ? "" : "  " + line));
  }

  static String usd(double v) {
    return v != 0 && Math.abs(v) < 0.01
        ? String.format(Locale.ROOT, "$%.4f", v)
        : String.format(Locale.ROOT, "$%.2f", v);
  }
}
