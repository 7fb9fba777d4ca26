package dev.tollgate.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.Status;
import java.net.ConnectException;
import org.junit.jupiter.api.Test;

/** Every gRPC status a call can end with maps to one exit code and one line. */
class CliExitsTest {
  static CliException of(Status s) {
    return Exits.of(s.asRuntimeException(), "10.0.0.1:50051", "GetUsage");
  }

  @Test
  void statusesMapToExitCodes() {
    assertEquals(3, of(Status.UNAVAILABLE.withDescription("io exception")).exitCode());
    assertEquals(3, of(Status.DEADLINE_EXCEEDED).exitCode());
    assertEquals(4, of(Status.UNAUTHENTICATED).exitCode());
    assertEquals(4, of(Status.PERMISSION_DENIED).exitCode());
    assertEquals(5, of(Status.INVALID_ARGUMENT.withDescription("tier: 'x'")).exitCode());
    assertEquals(5, of(Status.NOT_FOUND).exitCode());
    assertEquals(1, of(Status.UNIMPLEMENTED).exitCode());
    assertEquals(1, of(Status.INTERNAL.withDescription("boom\n  at x")).exitCode());
  }

  @Test
  void messagesAreOneLine() {
    assertEquals(
        "cannot reach 10.0.0.1:50051 (UNAVAILABLE: Connection refused: /10.0.0.1:50051)",
        of(Status.UNAVAILABLE
                .withDescription("io exception")
                .withCause(
                    new ConnectException(
                        "finishConnect(..) failed with error(-111): Connection refused:"
                            + " /10.0.0.1:50051")))
            .getMessage());
    assertEquals(
        "10.0.0.1:50051 is unavailable (UNAVAILABLE: quota store unavailable)",
        of(Status.UNAVAILABLE.withDescription("quota store unavailable")).getMessage());
    assertEquals(
        "GetUsage failed (INTERNAL: boom at x)",
        of(Status.INTERNAL.withDescription("boom\n  at x")).getMessage());
    assertEquals(
        "10.0.0.1:50051 does not implement GetUsage (UNIMPLEMENTED): the server is older than this"
            + " command line",
        of(Status.UNIMPLEMENTED).getMessage());
  }
}
