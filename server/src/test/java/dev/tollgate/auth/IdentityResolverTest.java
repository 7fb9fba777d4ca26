package dev.tollgate.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tollgate.config.IdentityConfig;
import dev.tollgate.config.IdentitySource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IdentityResolverTest {
  private static IdentityResolver resolver(String fallback, String... sources) {
    return new IdentityResolver(
        new IdentityConfig(
            java.util.Arrays.stream(sources).map(IdentitySource::parse).toList(),
            fallback,
            List.of(IdentitySource.parse("header:openai-conversation-id")),
            null));
  }

  record View(
      Map<String, String> headers,
      Map<String, Object> jwt,
      Map<String, String> body,
      VerifiedAssertion assertion)
      implements IdentityResolver.RequestView {
    @Override
    public String header(String name) {
      return headers.get(name);
    }

    @Override
    public Object jwtClaim(String claim) {
      return IdentityResolver.walk(jwt, claim);
    }

    @Override
    public String bodyField(String field) {
      return body.get(field);
    }
  }

  private static View headers(String... kv) {
    Map<String, String> h = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      h.put(kv[i], kv[i + 1]);
    }
    return new View(h, Map.of(), Map.of(), null);
  }

  @Test
  void sourcesAreTriedInOrder() {
    IdentityResolver r =
        resolver("anonymous", "header:x-on-behalf-of", "header:openai-ephemeral-user-id");
    assertEquals(
        "alice",
        r.resolve(headers("x-on-behalf-of", "alice", "openai-ephemeral-user-id", "e1")).user());
    Identity e = r.resolve(headers("openai-ephemeral-user-id", "e1"));
    assertEquals("e1", e.user());
    assertEquals("header:openai-ephemeral-user-id", e.source());
  }

  @Test
  void fallbackWhenNoSourceAndEmptyCountsAsAbsent() {
    IdentityResolver r = resolver("anonymous", "header:x-on-behalf-of");
    Identity i = r.resolve(headers("x-on-behalf-of", ""));
    assertEquals("anonymous", i.user());
    assertEquals("fallback", i.source());
  }

  @Test
  void noFallbackRefuses() {
    IdentityResolver r = resolver(null, "header:x-on-behalf-of");
    assertThrows(InvalidIdentityException.class, () -> r.resolve(headers()));
  }

  @Test
  void conversationFromItsOwnSources() {
    IdentityResolver r = resolver("anonymous", "header:x-on-behalf-of");
    assertEquals("c-9", r.resolve(headers("openai-conversation-id", "c-9")).conversation());
    assertNull(r.resolve(headers()).conversation());
  }

  @Test
  void jwtClaimsIncludingNestedAndNumeric() {
    IdentityResolver r = resolver("anonymous", "jwt:sub");
    View v = new View(Map.of(), Map.of("sub", "u-1"), Map.of(), null);
    assertEquals("u-1", r.resolve(v).user());
    IdentityResolver nested = resolver("anonymous", "jwt:ext.user_id");
    View n = new View(Map.of(), Map.of("ext", Map.of("user_id", 42.0)), Map.of(), null);
    assertEquals("42", nested.resolve(n).user());
    View obj = new View(Map.of(), Map.of("ext", Map.of("user_id", List.of("x"))), Map.of(), null);
    assertThrows(InvalidIdentityException.class, () -> nested.resolve(obj));
  }

  @Test
  void bodyFieldAndAssertion() {
    IdentityResolver r = resolver("anonymous", "assertion", "body:user");
    assertEquals(
        "bob", r.resolve(new View(Map.of(), Map.of(), Map.of("user", "bob"), null)).user());
    VerifiedAssertion a = new VerifiedAssertion("carol", "conv", 1, "n");
    assertEquals("carol", r.resolve(new View(Map.of(), Map.of(), Map.of("user", "bob"), a)).user());
  }

  @Test
  void tooLongOrControlCharactersAreRefusedWithoutEchoingTheValue() {
    IdentityResolver r = resolver("anonymous", "header:x-on-behalf-of");
    String longValue = "a".repeat(257);
    InvalidIdentityException e =
        assertThrows(
            InvalidIdentityException.class, () -> r.resolve(headers("x-on-behalf-of", longValue)));
    assertFalse(e.getMessage().contains(longValue));
    assertEquals("a".repeat(256), r.resolve(headers("x-on-behalf-of", "a".repeat(256))).user());
    // 86 three-byte characters = 258 bytes
    assertThrows(
        InvalidIdentityException.class, () -> r.resolve(headers("x-on-behalf-of", "€".repeat(86))));
    assertThrows(
        InvalidIdentityException.class, () -> r.resolve(headers("x-on-behalf-of", "a\nb")));
    assertThrows(
        InvalidIdentityException.class, () -> r.resolve(headers("x-on-behalf-of", "a\u0000")));
    assertThrows(
        InvalidIdentityException.class, () -> r.resolve(headers("x-on-behalf-of", "a\u007f")));
    assertEquals("zoë@example.com", r.resolve(headers("x-on-behalf-of", "zoë@example.com")).user());
  }

  @Test
  void valuesAreNormalisedToNfcAndTrimmed() {
    IdentityResolver r = resolver("anonymous", "header:x-on-behalf-of");
    String composed = "zo\u00eb";
    assertEquals(composed, r.resolve(headers("x-on-behalf-of", "zoe\u0308")).user());
    assertEquals(composed, r.resolve(headers("x-on-behalf-of", "  " + composed + "\t")).user());
    assertEquals("alice", r.resolve(headers("x-on-behalf-of", "\u00a0alice\u3000")).user());
    assertEquals("c-9", r.resolve(headers("openai-conversation-id", " c-9 ")).conversation());
  }

  @Test
  void blankValuesAreRefusedNotCountedAsOneMoreUser() {
    IdentityResolver r = resolver("anonymous", "header:x-on-behalf-of");
    for (String blank : new String[] {" ", "   ", "\t \t", "\u00a0", "\u2003\u3000"}) {
      InvalidIdentityException e =
          assertThrows(
              InvalidIdentityException.class,
              () -> r.resolve(headers("x-on-behalf-of", blank)),
              "'" + blank + "'");
      assertEquals("header:x-on-behalf-of", e.source());
    }
  }

  @Test
  void invisibleFormatCharactersAreRefused() {
    IdentityResolver r = resolver("anonymous", "header:x-on-behalf-of", "jwt:sub");
    String[] invisible = {
      "\u200b", "ali\u200bce", "alice\u200c", "\u200dalice", "alice\u2060", "\ufeffalice",
      "alice\u200e", "alice\u200f", "\u202ealice", "alice\u2066", "alice\u2069", "al\u00adice",
      "alice\ud800"
    };
    for (String v : invisible) {
      assertThrows(
          InvalidIdentityException.class,
          () -> r.resolve(headers("x-on-behalf-of", v)),
          v.codePoints().mapToObj(Integer::toHexString).toList().toString());
    }
    View jwt = new View(Map.of(), Map.of("sub", "bob\u200b"), Map.of(), null);
    assertThrows(InvalidIdentityException.class, () -> r.resolve(jwt));
    // letters of other scripts are not format characters
    assertEquals(
        "\u0645\u0631\u064a\u0645",
        r.resolve(headers("x-on-behalf-of", "\u0645\u0631\u064a\u0645")).user());
  }
}
