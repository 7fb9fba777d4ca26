package dev.tollgate.cli;

import com.google.protobuf.MessageOrBuilder;
import dev.tollgate.admin.v1.DayTotal;
import dev.tollgate.admin.v1.Distribution;
import dev.tollgate.admin.v1.HistogramBin;
import dev.tollgate.admin.v1.LimitRefusals;
import dev.tollgate.admin.v1.ModelTotal;
import dev.tollgate.admin.v1.TierLimit;
import dev.tollgate.admin.v1.UsageReportRequest;
import dev.tollgate.admin.v1.UsageReportResponse;
import java.io.PrintWriter;
import java.util.function.DoubleFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code tollgate report}: UsageReport. */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description =
        "One tier's usage over a range of periods: active users, the per-user distribution, totals"
            + " by model and day, and the limits that refused.")
final class ReportCommand extends AdminCommand {
  @Mixin RangeOptions range;

  @Override
  void check() {
    range.check();
  }

  @Override
  MessageOrBuilder call(AdminClient client) {
    return client.call(
        "UsageReport",
        s ->
            s.usageReport(
                UsageReportRequest.newBuilder()
                    .setTier(range.tier)
                    .setPeriod(range.period.proto)
                    .setFrom(range.from())
                    .setTo(range.to())
                    .build()));
  }

  @Override
  void print(MessageOrBuilder m, PrintWriter out) {
    UsageReportResponse r = (UsageReportResponse) m;
    String period = PeriodArg.name(r.getPeriod());
    out.println(
        "tier "
            + r.getTier()
            + ", per "
            + period
            + ", "
            + r.getFrom()
            + " to "
            + r.getTo()
            + " (UTC)");
    out.println("active users  " + Fmt.tokens(r.getActiveUsers()));
    out.println("requests      " + Fmt.tokens(r.getTotalRequests()));
    out.println("tokens        " + Fmt.tokens(r.getTotalTokens()));
    out.println("cost          " + Fmt.usd(r.getTotalUsd()));
    out.println();
    out.println("per user and " + period + ":");
    Fmt.Table d = new Fmt.Table("", ">SAMPLES", ">P50", ">P90", ">P95", ">P99", ">MAX", ">MEAN");
    dist(d, "tokens", r.getTokensPerUser(), Fmt::tokens);
    dist(d, "usd", r.getUsdPerUser(), Fmt::usd);
    d.print(out);
    if (r.getLimitsCount() > 0) {
      Fmt.Table l = new Fmt.Table("LIMIT", ">VALUE");
      for (TierLimit t : r.getLimitsList()) {
        l.row(
            t.getScope() + " " + t.getWindow() + " " + t.getUnit(),
            Fmt.amount(t.getUnit(), t.getValue()));
      }
      out.println();
      l.print(out);
    }
    if (r.getTokensHistogramCount() > 0) {
      out.println();
      out.println("tokens per user and " + period + ":");
      long max =
          r.getTokensHistogramList().stream().mapToLong(HistogramBin::getCount).max().orElse(1);
      Fmt.Table h = new Fmt.Table(">FROM", ">TO", ">USERS", "");
      for (HistogramBin b : r.getTokensHistogramList()) {
        int bar = max == 0 ? 0 : (int) Math.round(30.0 * b.getCount() / max);
        h.row(
            Fmt.tokens(b.getLower()),
            Fmt.tokens(b.getUpper()),
            Fmt.tokens(b.getCount()),
            "#".repeat(b.getCount() > 0 ? Math.max(1, bar) : 0));
      }
      h.print(out);
    }
    out.println();
    if (r.getModelsCount() == 0) {
      out.println("no requests");
    } else {
      Fmt.Table t = new Fmt.Table("MODEL", ">REQUESTS", ">INPUT", ">CACHED", ">OUTPUT", ">COST");
      for (ModelTotal mt : r.getModelsList()) {
        t.row(
            mt.getModel(),
            Fmt.tokens(mt.getRequests()),
            Fmt.tokens(mt.getInputTokens()),
            Fmt.tokens(mt.getCachedInputTokens()),
            Fmt.tokens(mt.getOutputTokens()),
            Fmt.usd(mt.getUsd()));
      }
      t.print(out);
    }
    out.println();
    if (r.getRefusalsCount() == 0) {
      out.println("no refusals");
    } else {
      Fmt.Table t = new Fmt.Table("REFUSED BY", ">USERS", ">REFUSALS");
      for (LimitRefusals x : r.getRefusalsList()) {
        t.row(
            x.getScope() + " " + x.getWindow(),
            Fmt.tokens(x.getUsers()),
            Fmt.tokens(x.getRefusals()));
      }
      t.print(out);
    }
    if (r.getDaysCount() > 0) {
      out.println();
      Fmt.Table t = new Fmt.Table("DAY", ">USERS", ">REQUESTS", ">TOKENS", ">COST", ">REFUSALS");
      int quiet = 0;
      for (DayTotal x : r.getDaysList()) {
        if (x.getRequests() == 0 && x.getRefusals() == 0) {
          quiet++; // --json has every day
          continue;
        }
        t.row(
            x.getDay(),
            Fmt.tokens(x.getActiveUsers()),
            Fmt.tokens(x.getRequests()),
            Fmt.tokens(x.getTokens()),
            Fmt.usd(x.getUsd()),
            Fmt.tokens(x.getRefusals()));
      }
      if (!t.isEmpty()) {
        t.print(out);
      }
      if (quiet > 0) {
        out.println(quiet + (quiet == 1 ? " day" : " days") + " without requests not shown");
      }
    }
  }

  private static void dist(Fmt.Table t, String name, Distribution d, DoubleFunction<String> f) {
    t.row(
        name,
        Fmt.tokens(d.getSamples()),
        f.apply(d.getP50()),
        f.apply(d.getP90()),
        f.apply(d.getP95()),
        f.apply(d.getP99()),
        f.apply(d.getMax()),
        f.apply(d.getMean()));
  }
}
