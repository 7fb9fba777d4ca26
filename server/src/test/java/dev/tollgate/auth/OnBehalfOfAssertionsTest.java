package dev.tollgate.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.config.Secret;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class OnBehalfOfAssertionsTest {
  private static final Secret K1 = new Secret("key-one-0123456789abcdef", "test");
  private static final Secret K2 = new Secret("key-two-0123456789abcdef", "test");
  private static final long NOW = 1_800_000_000_000L;
  private final OnBehalfOfAssertions assertions =
      new OnBehalfOfAssertions(List.of(K1, K2), Duration.ofMinutes(5));

  @Test
  void eitherRotationKeyVerifies() {
    VerifiedAssertion a =
        assertions.verify(OnBehalfOfAssertions.sign(K1, "alice", "c1", NOW / 1000 + 60, "n1"), NOW);
    assertEquals("alice", a.subject());
    assertEquals("c1", a.conversation());
    assertEquals("n1", a.nonce());
    VerifiedAssertion b =
        assertions.verify(OnBehalfOfAssertions.sign(K2, "bob", null, NOW / 1000 + 60, "n2"), NOW);
    assertEquals("bob", b.subject());
    assertNull(b.conversation());
  }

  @Test
  void forgedExpiredTooLongLivedAndMalformedAreRefused() {
    Secret other = new Secret("not-a-configured-key", "test");
    assertThrows(
        InvalidAssertionException.class,
        () ->
            assertions.verify(
                OnBehalfOfAssertions.sign(other, "alice", null, NOW / 1000 + 60, "n"), NOW));
    assertThrows(
        InvalidAssertionException.class,
        () ->
            assertions.verify(
                OnBehalfOfAssertions.sign(K1, "alice", null, NOW / 1000 - 1, "n"), NOW));
    assertThrows(
        InvalidAssertionException.class,
        () ->
            assertions.verify(
                OnBehalfOfAssertions.sign(K1, "alice", null, NOW / 1000 + 3600, "n"), NOW));
    for (String bad :
        new String[] {"", "v1.", "v1.a.b.c", "v2.abc.def", "v1.!!!.???", "v1.e30.AAAA"}) {
      assertThrows(InvalidAssertionException.class, () -> assertions.verify(bad, NOW), bad);
    }
  }

  @Test
  void tamperedPayloadFails() {
    String good = OnBehalfOfAssertions.sign(K1, "alice", null, NOW / 1000 + 60, "n");
    String forged =
        good.replaceFirst(
            "v1\\.[^.]+",
            "v1."
                + java.util.Base64.getUrlEncoder()
                    .withoutPadding()
                    .encodeToString(
                        ("{\"sub\":\"root\",\"exp\":" + (NOW / 1000 + 60) + ",\"nonce\":\"n\"}")
                            .getBytes()));
    InvalidAssertionException e =
        assertThrows(InvalidAssertionException.class, () -> assertions.verify(forged, NOW));
    assertFalse(e.getMessage().contains("root"));
  }

  @Test
  void nonceStoreAcceptsOnceUntilExpiry() {
    InMemoryNonceStore s = new InMemoryNonceStore();
    assertTrue(s.firstUse("n", NOW + 1000, NOW).toCompletableFuture().join());
    assertFalse(s.firstUse("n", NOW + 1000, NOW + 10).toCompletableFuture().join());
    assertTrue(s.firstUse("n", NOW + 5000, NOW + 1000).toCompletableFuture().join());
  }
}
