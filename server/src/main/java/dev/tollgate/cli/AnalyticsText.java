package dev.tollgate.cli;

import dev.tollgate.admin.v1.AdviseLimitsResponse;
import dev.tollgate.admin.v1.UsageReportResponse;
import java.io.PrintWriter;

/**
 * The text the CLI prints for the analytics calls ({@code tollgate report}, {@code tollgate
 * advise}), for other tools that show them ({@code ./tollgate demo}).
 */
public final class AnalyticsText {
  private AnalyticsText() {}

  /** What {@code tollgate report} prints for this answer. */
  public static void report(UsageReportResponse r, PrintWriter out) {
    new ReportCommand().print(r, out);
  }

  /** What {@code tollgate advise} prints for this answer. */
  public static void advice(AdviseLimitsResponse r, PrintWriter out) {
    new AdviseCommand().print(r, out);
  }
}
