package dev.tollgate.harness.bench;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./tollgate bench}. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Load Tollgate as Envoy does and compare it with a no-op server on the same transport.")
public final class BenchCommand implements Callable<Integer> {
  @Option(names = "--root", paramLabel = "DIR", defaultValue = ".", description = "the repository")
  Path root;

  @Override
  public Integer call() {
    throw new UnsupportedOperationException("bench: not built yet");
  }
}
