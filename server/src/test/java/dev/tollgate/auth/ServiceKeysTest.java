package dev.tollgate.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.config.Role;
import dev.tollgate.config.ServiceKeyConfig;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServiceKeysTest {
  static ServiceKeyConfig key(String name, String bearer) {
    return new ServiceKeyConfig(
        name, ServiceKeys.sha256(bearer.getBytes(StandardCharsets.UTF_8)), "default", Role.SERVICE);
  }

  private final ServiceKeys keys =
      new ServiceKeys(List.of(key("old", "sk-old"), key("new", "sk-new")));

  @Test
  void severalKeysAreValidAtOnceForRotation() {
    assertEquals("old", keys.authenticate("Bearer sk-old").orElseThrow().name());
    assertEquals("new", keys.authenticate("Bearer sk-new").orElseThrow().name());
  }

  @Test
  void schemeIsCaseInsensitiveAndWhitespaceTolerated() {
    assertEquals("new", keys.authenticate("bearer   sk-new ").orElseThrow().name());
    assertEquals("new", keys.authenticate("BEARER sk-new").orElseThrow().name());
  }

  @Test
  void wrongMissingOrMalformedAreRefused() {
    assertTrue(keys.authenticate("Bearer sk-nope").isEmpty());
    assertTrue(keys.authenticate(null).isEmpty());
    assertTrue(keys.authenticate("").isEmpty());
    assertTrue(keys.authenticate("Bearer ").isEmpty());
    assertTrue(keys.authenticate("Basic c2stbmV3").isEmpty());
    assertTrue(keys.authenticate("sk-new").isEmpty());
  }

  @Test
  void bearerTokenParsing() {
    assertEquals("abc", ServiceKeys.bearerToken("Bearer abc"));
    assertNull(ServiceKeys.bearerToken("Bearerabc"));
  }

  @Test
  void toStringNeverShowsTheWholeHash() {
    ServiceKeyConfig k = key("web", "sk-secret");
    assertTrue(!k.toString().contains("sk-secret"));
    assertTrue(k.toString().length() < 120);
  }
}
