package dev.tollgate.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvoyChecksTest {
  private static AttributeContext.HttpRequest http(CheckRequest c) {
    return c.getAttributes().getRequest().getHttp();
  }

  @Test
  void pseudoHeadersFirstLowerCaseNamesRepeatsJoined() {
    CheckRequest c =
        EnvoyChecks.post("/v1/chat/completions?x=1")
            .bearer("k")
            .header("X-Tag", "a")
            .header("x-tag", "b")
            .json("{}")
            .build();
    Map<String, String> h = http(c).getHeadersMap();
    assertEquals(
        List.of(
            ":authority",
            ":method",
            ":path",
            ":scheme",
            "authorization",
            "x-tag",
            "content-type",
            "content-length",
            "x-envoy-auth-partial-body"),
        List.copyOf(h.keySet()));
    assertEquals("api.openai.com", h.get(":authority"));
    assertEquals("/v1/chat/completions?x=1", h.get(":path"));
    assertEquals("a,b", h.get("x-tag"));
    assertEquals("2", h.get("content-length"));
    assertEquals("false", h.get("x-envoy-auth-partial-body"));
    assertEquals(ByteString.copyFromUtf8("{}"), http(c).getRawBody());
    assertEquals(
        "127.0.0.1", c.getAttributes().getSource().getAddress().getSocketAddress().getAddress());
  }

  @Test
  void hostBecomesAuthorityAndAClientPartialFlagIsReplaced() {
    CheckRequest c =
        EnvoyChecks.request("POST", "/p")
            .authority("")
            .headers(
                List.of(
                    new String[] {"host", "example.test:10000"},
                    new String[] {"x-envoy-auth-partial-body", "forged"},
                    new String[] {"content-length", "5"}))
            .body(ByteString.copyFromUtf8("hello"))
            .maxRequestBytes(3)
            .streamId(42)
            .source(new InetSocketAddress(InetAddress.getLoopbackAddress(), 1234))
            .build();
    Map<String, String> h = http(c).getHeadersMap();
    assertEquals("example.test:10000", h.get(":authority"));
    assertEquals("example.test:10000", http(c).getHost());
    assertFalse(h.containsKey("host"));
    assertEquals("true", h.get("x-envoy-auth-partial-body"));
    assertEquals("5", h.get("content-length"));
    assertEquals(ByteString.copyFromUtf8("hel"), http(c).getRawBody());
    assertEquals(5, http(c).getSize());
    assertEquals("42", http(c).getId());
    assertEquals(
        1234, c.getAttributes().getSource().getAddress().getSocketAddress().getPortValue());
  }

  @Test
  void noBodyWhenTheFilterDoesNotBufferOne() {
    CheckRequest c =
        EnvoyChecks.post("/p")
            .header("x-envoy-auth-partial-body", "true")
            .json("{}")
            .maxRequestBytes(0)
            .build();
    assertTrue(http(c).getRawBody().isEmpty());
    assertTrue(http(c).getBody().isEmpty());
    assertFalse(http(c).getHeadersMap().containsKey("x-envoy-auth-partial-body"));
  }

  @Test
  void stringBodyAndRawHeaders() {
    CheckRequest c =
        EnvoyChecks.post("/p")
            .json("{\"a\":1}")
            .asStringBody()
            .header("x", "1")
            .header("x", "2")
            .rawHeaders()
            .build();
    assertEquals("{\"a\":1}", http(c).getBody());
    assertTrue(http(c).getHeadersMap().isEmpty());
    List<String> xs =
        http(c).getHeaderMap().getHeadersList().stream()
            .filter(v -> v.getKey().equals("x"))
            .map(v -> v.getRawValue().toStringUtf8())
            .toList();
    assertEquals(List.of("1", "2"), xs);
    assertTrue(
        http(c).getHeaderMap().getHeadersList().stream()
            .map(HeaderValue::getKey)
            .anyMatch(":authority"::equals));
  }

  @Test
  void withPseudoHeadersPutsHostAsAuthority() {
    List<String[]> all =
        EnvoyChecks.withPseudoHeaders(
            "GET", "/m", List.of(new String[] {"a", "1"}, new String[] {"host", "h"}));
    assertEquals(":authority", all.get(0)[0]);
    assertEquals("h", all.get(0)[1]);
    assertEquals(5, all.size());
    assertEquals("a", all.get(4)[0]);
  }
}
