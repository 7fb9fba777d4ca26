package dev.tollgate.cli;

/** An error the command line reports as one line on stderr, with its exit code. */
public final class CliException extends RuntimeException {
  private final int exitCode;

  public CliException(int exitCode, String message) {
    super(message, null, false, false);
    this.exitCode = exitCode;
  }

  /** The process exit code ({@link Exits}). */
  public int exitCode() {
    return exitCode;
  }
}
