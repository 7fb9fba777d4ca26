package dev.tollgate.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Spellings of a path as Envoy may hand them over, and the one path each names (what an upstream
 * that decodes and resolves the path serves), or its refusal when servers disagree on it.
 */
class RequestPathTest {

  static Stream<Arguments> normalized() {
    return Stream.of(
        Arguments.of("/v1/chat/completions", "/v1/chat/completions"),
        Arguments.of("/V1/Chat/Completions", "/V1/Chat/Completions"),
        Arguments.of("/v1//chat/completions", "/v1/chat/completions"),
        Arguments.of("//v1///chat//completions", "/v1/chat/completions"),
        Arguments.of("/v1/./chat/completions", "/v1/chat/completions"),
        Arguments.of("/x/../v1/chat/completions", "/v1/chat/completions"),
        Arguments.of("/../../v1/chat/completions", "/v1/chat/completions"),
        Arguments.of("/actions/../v1/chat/completions", "/v1/chat/completions"),
        Arguments.of("/%761/chat/completions", "/v1/chat/completions"),
        Arguments.of("/v1/chat%2ecompletions", "/v1/chat.completions"),
        Arguments.of("/%41ctions/run", "/Actions/run"),
        Arguments.of("/v1/chat/completions?x=1", "/v1/chat/completions"),
        Arguments.of("/v1/chat/completions?next=/../../actions/", "/v1/chat/completions"),
        Arguments.of("/v1/chat/completions#frag", "/v1/chat/completions"),
        Arguments.of("/actions/run/", "/actions/run/"),
        Arguments.of("/actions/run/.", "/actions/run/"),
        Arguments.of("/actions/run/..", "/actions/"),
        Arguments.of("/actions/a%3ab", "/actions/a%3Ab"),
        Arguments.of("/actions/caf%c3%a9", "/actions/caf%C3%A9"),
        Arguments.of("/", "/"),
        Arguments.of("/..", "/"),
        Arguments.of("", ""));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("normalized")
  void normalizes(String raw, String expected) {
    RequestPath.Normal n = assertInstanceOf(RequestPath.Normal.class, RequestPath.of(raw), raw);
    assertEquals(expected, n.path());
    assertEquals(expected.toLowerCase(java.util.Locale.ROOT), n.key());
    assertEquals(n, RequestPath.of(n.path()), "normalizing twice changes nothing");
  }

  static Stream<String> refused() {
    return Stream.of(
        "/actions/%2e%2e/v1/chat/completions",
        "/actions/%2E%2E/v1/chat/completions",
        "/actions/.%2e/v1/chat/completions",
        "/actions/%2e/v1",
        "/actions/..%2fv1/chat/completions",
        "/actions/..%2Fv1/chat/completions",
        "/actions%2f..%2fv1/chat/completions",
        "/actions/..%5cv1/chat/completions",
        "/actions\\..\\v1/chat/completions",
        "/actions/..;/v1/chat/completions",
        "/actions/.;x/v1",
        "/v1/chat/completions%",
        "/v1/chat/completions%4",
        "/v1/chat/%zzcompletions",
        "/v1/chat%00/completions",
        "/v1/chat\t/completions",
        "v1/chat/completions",
        "http://evil/v1/chat/completions");
  }

  @ParameterizedTest
  @MethodSource("refused")
  void refusesWhatServersReadDifferently(String raw) {
    assertInstanceOf(RequestPath.Invalid.class, RequestPath.of(raw), raw);
  }
}
