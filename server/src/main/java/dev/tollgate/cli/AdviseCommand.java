package dev.tollgate.cli;

import com.google.protobuf.MessageOrBuilder;
import dev.tollgate.admin.v1.AdviseLimitsRequest;
import dev.tollgate.admin.v1.AdviseLimitsResponse;
import dev.tollgate.admin.v1.LimitAdvice;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tollgate advise}: AdviseLimits. */
@Command(
    name = "advise",
    mixinStandardHelpOptions = true,
    description =
        "For each limit of a tier: a value from a percentile of per-user usage times a headroom,"
            + " and whom the current and the suggested value would have refused, at what cost.")
final class AdviseCommand extends AdminCommand {
  @Option(
      names = "--tier",
      paramLabel = "TIER",
      defaultValue = "default",
      description = "tier advised on (default: ${DEFAULT-VALUE})")
  String tier;

  @Option(
      names = "--percentile",
      paramLabel = "P",
      defaultValue = "95",
      description =
          "percentile of per-user usage, above 0 and at most 100 (default: ${DEFAULT-VALUE})")
  double percentile;

  @Option(
      names = "--headroom",
      paramLabel = "X",
      defaultValue = "1.2",
      description = "factor applied to the percentile, at least 1 (default: ${DEFAULT-VALUE})")
  double headroom;

  @Option(
      names = "--lookback",
      paramLabel = "N",
      defaultValue = "3",
      description = "periods of each limit's window looked back over (default: ${DEFAULT-VALUE})")
  int lookback;

  @Override
  void check() {
    if (!(percentile > 0 && percentile <= 100)) {
      throw new CliException(
          Exits.USAGE, "--percentile " + percentile + " (expected above 0, at most 100)");
    }
    if (!(headroom >= 1)) {
      throw new CliException(Exits.USAGE, "--headroom " + headroom + " (expected at least 1)");
    }
    if (lookback < 1) {
      throw new CliException(Exits.USAGE, "--lookback " + lookback + " (expected at least 1)");
    }
  }

  @Override
  MessageOrBuilder call(AdminClient client) {
    return client.call(
        "AdviseLimits",
        s ->
            s.adviseLimits(
                AdviseLimitsRequest.newBuilder()
                    .setTier(tier)
                    .setPercentile(percentile)
                    .setHeadroom(headroom)
                    .setLookback(lookback)
                    .build()));
  }

  @Override
  void print(MessageOrBuilder m, PrintWriter out) {
    AdviseLimitsResponse r = (AdviseLimitsResponse) m;
    out.println(
        "tier "
            + r.getTier()
            + ": p"
            + Fmt.number(r.getPercentile())
            + " of per-user usage x "
            + Fmt.number(r.getHeadroom())
            + ", over the last "
            + r.getLookback()
            + " periods of each window");
    if (r.getLimitsCount() == 0) {
      out.println("no limits in tier " + r.getTier());
      return;
    }
    Fmt.Table t =
        new Fmt.Table(
            "LIMIT",
            ">CURRENT",
            ">SUGGESTED",
            ">SAMPLES",
            ">REFUSED NOW",
            ">REFUSED THEN",
            ">WORST/USER NOW",
            ">WORST/USER THEN",
            ">COST NOW",
            ">COST THEN");
    java.util.List<String> notes = new java.util.ArrayList<>();
    for (LimitAdvice a : r.getLimitsList()) {
      String u = a.getUnit();
      t.row(
          a.getScope() + " " + a.getWindow() + " " + u,
          Fmt.amount(u, a.getCurrent()),
          a.getAdvisable() ? Fmt.amount(u, a.getSuggested()) : "-",
          Fmt.tokens(a.getSamples()),
          Fmt.tokens(a.getUsersRefusedCurrent()),
          a.getAdvisable() ? Fmt.tokens(a.getUsersRefusedSuggested()) : "-",
          Fmt.usd(a.getWorstCaseUsdPerUserCurrent()),
          a.getAdvisable() ? Fmt.usd(a.getWorstCaseUsdPerUserSuggested()) : "-",
          Fmt.usd(a.getProjectedUsdCurrent()),
          a.getAdvisable() ? Fmt.usd(a.getProjectedUsdSuggested()) : "-");
      if (!a.getNote().isEmpty()) {
        notes.add("  " + a.getScope() + " " + a.getWindow() + " " + u + ": " + a.getNote());
      }
    }
    t.print(out);
    if (!notes.isEmpty()) {
      out.println("notes:");
      notes.forEach(out::println);
    }
    out.println(
        "REFUSED: users whose usage in some period exceeded the limit; WORST/USER: one user using"
            + " the whole limit; COST: per period, the sum over users of their usage capped at the"
            + " limit.");
  }
}
