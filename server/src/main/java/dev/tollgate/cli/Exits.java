package dev.tollgate.cli;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** The exit codes of the admin verbs, and the one-line message of a failed call. */
public final class Exits {
  /** Success. */
  public static final int OK = 0;

  /** Anything else: an unexpected answer, an unimplemented call. */
  public static final int OTHER = 1;

  /** Bad arguments: a usage error, no admin key, an unreadable key file. */
  public static final int USAGE = 2;

  /**
   * The server could not be reached, or did not answer in time (UNAVAILABLE, DEADLINE_EXCEEDED).
   */
  public static final int UNREACHABLE = 3;

  /** The key was refused (UNAUTHENTICATED, PERMISSION_DENIED). */
  public static final int UNAUTHORIZED = 4;

  /** The server found the request invalid, or what it names does not exist. */
  public static final int REJECTED = 5;

  private Exits() {}

  /** The exit code and one-line message for a failed call of {@code method} to {@code address}. */
  static CliException of(StatusRuntimeException e, String address, String method) {
    Status s = e.getStatus();
    String desc = oneLine(s.getDescription());
    return switch (s.getCode()) {
      case UNAVAILABLE -> {
        if (s.getCause() == null && desc != null && !desc.equals("io exception")) {
          // the server answered, but cannot serve now (e.g. its quota store is down)
          yield new CliException(
              UNREACHABLE, address + " is unavailable (UNAVAILABLE: " + desc + ")");
        }
        String why = desc;
        if (s.getCause() != null && s.getCause().getMessage() != null) {
          // Netty's "finishConnect(..) failed with error(-111): Connection refused: /127.0.0.1:1"
          why = oneLine(s.getCause().getMessage()).replaceFirst("^.*error\\(-?\\d+\\): ", "");
        }
        yield new CliException(
            UNREACHABLE,
            "cannot reach " + address + " (UNAVAILABLE" + (why == null ? "" : ": " + why) + ")");
      }
      case DEADLINE_EXCEEDED ->
          new CliException(
              UNREACHABLE,
              "no answer from " + address + " in time (DEADLINE_EXCEEDED); see --timeout");
      case UNAUTHENTICATED, PERMISSION_DENIED ->
          new CliException(
              UNAUTHORIZED,
              "unauthorized (" + s.getCode() + (desc == null ? "" : ": " + desc) + ")");
      case INVALID_ARGUMENT, NOT_FOUND ->
          new CliException(REJECTED, (desc == null ? "" : desc + " ") + "(" + s.getCode() + ")");
      case UNIMPLEMENTED ->
          new CliException(
              OTHER,
              address
                  + " does not implement "
                  + method
                  + " (UNIMPLEMENTED): the server is older than this command line");
      default ->
          new CliException(
              OTHER, method + " failed (" + s.getCode() + (desc == null ? "" : ": " + desc) + ")");
    };
  }

  static String oneLine(String s) {
    return s == null ? null : s.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
  }
}
