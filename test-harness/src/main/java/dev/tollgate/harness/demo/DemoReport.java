package dev.tollgate.harness.demo;

import dev.tollgate.admin.v1.AdviseLimitsRequest;
import dev.tollgate.admin.v1.AdviseLimitsResponse;
import dev.tollgate.admin.v1.DayTotal;
import dev.tollgate.admin.v1.Distribution;
import dev.tollgate.admin.v1.HistogramBin;
import dev.tollgate.admin.v1.LimitAdvice;
import dev.tollgate.admin.v1.LimitRefusals;
import dev.tollgate.admin.v1.ModelTotal;
import dev.tollgate.admin.v1.Period;
import dev.tollgate.admin.v1.QuotaAdminGrpc;
import dev.tollgate.admin.v1.UsageReportRequest;
import dev.tollgate.admin.v1.UsageReportResponse;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.PrintWriter;
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

  private void printReport(UsageReportResponse r) {
    out.printf("  %s to %s (UTC), tier %s%n", r.getFrom(), r.getTo(), r.getTier());
    out.printf(
        "  active users %d, requests %d, tokens %d, cost %s%n",
        r.getActiveUsers(), r.getTotalRequests(), r.getTotalTokens(), usd(r.getTotalUsd()));
    Table d = new Table("per user", ">samples", ">p50", ">p90", ">p95", ">p99", ">max", ">mean");
    Distribution t = r.getTokensPerUser();
    d.row(
        "tokens",
        Long.toString(t.getSamples()),
        tokens(t.getP50()),
        tokens(t.getP90()),
        tokens(t.getP95()),
        tokens(t.getP99()),
        tokens(t.getMax()),
        tokens(t.getMean()));
    Distribution u = r.getUsdPerUser();
    d.row(
        "usd",
        Long.toString(u.getSamples()),
        usd(u.getP50()),
        usd(u.getP90()),
        usd(u.getP95()),
        usd(u.getP99()),
        usd(u.getMax()),
        usd(u.getMean()));
    d.print();
    if (r.getTokensHistogramCount() > 0) {
      out.println("  tokens per user this month:");
      long max =
          r.getTokensHistogramList().stream().mapToLong(HistogramBin::getCount).max().orElse(1);
      Table h = new Table(">from", ">to", ">users", "");
      List<HistogramBin> bins = new ArrayList<>();
      // a run of empty bins is one row: the tail is long and sparse
      for (HistogramBin b : r.getTokensHistogramList()) {
        HistogramBin last = bins.isEmpty() ? null : bins.get(bins.size() - 1);
        if (b.getCount() == 0 && last != null && last.getCount() == 0) {
          bins.set(bins.size() - 1, last.toBuilder().setUpper(b.getUpper()).build());
        } else {
          bins.add(b);
        }
      }
      for (HistogramBin b : bins) {
        int bar = max == 0 ? 0 : (int) Math.round(30.0 * b.getCount() / max);
        h.row(
            tokens(b.getLower()),
            tokens(b.getUpper()),
            Long.toString(b.getCount()),
            "#".repeat(b.getCount() > 0 ? Math.max(1, bar) : 0));
      }
      h.print();
    }
    Table m = new Table("model", ">requests", ">input", ">cached", ">output", ">cost");
    for (ModelTotal x : r.getModelsList()) {
      m.row(
          x.getModel(),
          Long.toString(x.getRequests()),
          Long.toString(x.getInputTokens()),
          Long.toString(x.getCachedInputTokens()),
          Long.toString(x.getOutputTokens()),
          usd(x.getUsd()));
    }
    m.print();
    if (r.getRefusalsCount() == 0) {
      out.println("  no refusals");
    } else {
      Table x = new Table("refused by", ">users", ">refusals");
      for (LimitRefusals l : r.getRefusalsList()) {
        x.row(
            "user".equals(l.getScope()) ? l.getScope() + " " + l.getWindow() : l.getScope(),
            Long.toString(l.getUsers()),
            Long.toString(l.getRefusals()));
      }
      x.print();
    }
    if (r.getDaysCount() > 0) {
      Table x = new Table("day", ">users", ">requests", ">tokens", ">cost", ">refusals");
      List<DayTotal> days = r.getDaysList();
      // the first and last few days: the middle is more of the same
      for (int i = 0; i < days.size(); i++) {
        if (days.size() > 8 && i == 3) {
          x.row("...", "", "", "", "", "");
          i = days.size() - 4;
        }
        DayTotal y = days.get(i);
        x.row(
            y.getDay(),
            Long.toString(y.getActiveUsers()),
            Long.toString(y.getRequests()),
            Long.toString(y.getTokens()),
            usd(y.getUsd()),
            Long.toString(y.getRefusals()));
      }
      x.print();
    }
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

  private void printAdvice(AdviseLimitsResponse r) {
    out.printf(
        "  p%s of per-user usage x %s headroom, over the last %d periods of each window%n",
        number(r.getPercentile()), number(r.getHeadroom()), r.getLookback());
    Table t =
        new Table(
            "limit",
            ">current",
            ">suggested",
            ">samples",
            ">refused now",
            ">refused then",
            ">cost now",
            ">cost then",
            "note");
    for (LimitAdvice a : r.getLimitsList()) {
      String unit = a.getUnit();
      t.row(
          a.getScope() + " " + a.getWindow() + " " + unit,
          amount(unit, a.getCurrent()),
          a.getAdvisable() ? amount(unit, a.getSuggested()) : "-",
          Long.toString(a.getSamples()),
          Long.toString(a.getUsersRefusedCurrent()),
          a.getAdvisable() ? Long.toString(a.getUsersRefusedSuggested()) : "-",
          usd(a.getProjectedUsdCurrent()),
          a.getAdvisable() ? usd(a.getProjectedUsdSuggested()) : "-",
          a.getNote());
    }
    t.print();
    out.println(
        "  refused: users whose usage in some period exceeded the limit; cost: per period, the sum"
            + " over users of their usage capped at the limit");
  }

  static String usd(double v) {
    return v != 0 && Math.abs(v) < 0.01
        ? String.format(Locale.ROOT, "$%.4f", v)
        : String.format(Locale.ROOT, "$%.2f", v);
  }

  static String tokens(double v) {
    return Long.toString(Math.round(v));
  }

  private static String amount(String unit, double v) {
    return "usd".equals(unit) ? usd(v) : tokens(v);
  }

  private static String number(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
  }

  /** A plain text table, indented by two; a header starting with '>' right-aligns its column. */
  private final class Table {
    private final String[] headers;
    private final List<String[]> rows = new ArrayList<>();

    Table(String... headers) {
      this.headers = headers;
    }

    void row(String... cells) {
      rows.add(cells);
    }

    void print() {
      int n = headers.length;
      int[] w = new int[n];
      String[] head = new String[n];
      for (int i = 0; i < n; i++) {
        head[i] = headers[i].startsWith(">") ? headers[i].substring(1) : headers[i];
        w[i] = head[i].length();
      }
      for (String[] r : rows) {
        for (int i = 0; i < n; i++) {
          w[i] = Math.max(w[i], r[i].length());
        }
      }
      line(head, w);
      rows.forEach(r -> line(r, w));
    }

    private void line(String[] cells, int[] w) {
      StringBuilder sb = new StringBuilder("  ");
      for (int i = 0; i < cells.length; i++) {
        boolean right = headers[i].startsWith(">");
        String c = cells[i];
        String pad = " ".repeat(w[i] - c.length());
        sb.append(i == 0 ? "" : "  ").append(right ? pad + c : c + pad);
      }
      out.println(sb.toString().stripTrailing());
    }
  }
}
