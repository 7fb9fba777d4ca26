package dev.tollgate.harness;

import dev.tollgate.harness.bench.BenchCommand;
import dev.tollgate.harness.demo.DemoCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code ./tollgate demo} and {@code ./tollgate bench}: the harness's command line. Wiring only.
 */
@Command(
    name = "tollgate",
    mixinStandardHelpOptions = true,
    version = "tollgate 0.1.0",
    description = "Tollgate's test harness: a local demo and the benchmark.",
    subcommands = {DemoCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class HarnessMain {

  private HarnessMain() {}

  /** Entry point. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new HarnessMain()).execute(args));
  }
}
