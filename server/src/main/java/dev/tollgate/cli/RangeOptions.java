package dev.tollgate.cli;

import java.time.LocalDate;
import picocli.CommandLine.Option;

/** {@code --tier}, {@code --period}, {@code --from}, {@code --to}: what report and top cover. */
final class RangeOptions {
  @Option(
      names = "--tier",
      paramLabel = "TIER",
      defaultValue = "default",
      description = "tier reported on (default: ${DEFAULT-VALUE})")
  String tier;

  @Option(
      names = "--period",
      paramLabel = "PERIOD",
      defaultValue = "month",
      description = "day, week (ISO, Monday to Sunday) or month (default: ${DEFAULT-VALUE})")
  AdminCommand.PeriodArg period;

  @Option(
      names = "--from",
      paramLabel = "YYYY-MM-DD",
      description = "first UTC day, widened to its period (default: the current period)")
  LocalDate from;

  @Option(
      names = "--to",
      paramLabel = "YYYY-MM-DD",
      description = "last UTC day, widened to its period (default: the period holding today)")
  LocalDate to;

  void check() {
    if (from != null && to != null && to.isBefore(from)) {
      throw new CliException(Exits.USAGE, "--to " + to + " is before --from " + from);
    }
  }

  String from() {
    return from == null ? "" : from.toString();
  }

  String to() {
    return to == null ? "" : to.toString();
  }
}
