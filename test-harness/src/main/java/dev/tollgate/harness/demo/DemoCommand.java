package dev.tollgate.harness.demo;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./tollgate demo}. */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Start Tollgate, the Envoy emulator and a mock OpenAI upstream on loopback and run a short session.")
public final class DemoCommand implements Callable<Integer> {
  @Option(names = "--root", paramLabel = "DIR", defaultValue = ".", description = "the repository (for envoy/ and server/)")
  Path root;

  @Override
  public Integer call() {
    throw new UnsupportedOperationException("demo: not built yet");
  }
}
