package dev.tollgate.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.config.Secret;
import java.time.Duration;
import java.util.List;

/**
 * Signed on-behalf-of assertions: {@code v1.<base64url(payload)>.<base64url(hmac)>}, where the
 * payload is JSON {@code {"sub": user, "conv": conversation?, "exp": epochSeconds, "nonce": n}} and
 * the MAC is HMAC-SHA256 over {@code v1.<base64url(payload)>}. Any configured key verifies (two
 * during rotation). The nonce check (once only, cluster-wide) is the caller's, through a {@link
 * NonceStore}.
 */
public final class OnBehalfOfAssertions {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PREFIX = "v1.";
  private static final int MAX_LENGTH = 4096;
  private final HmacTokens tokens;
  private final Duration maxTtl;

  public OnBehalfOfAssertions(List<Secret> keys, Duration maxTtl) {
    this.tokens = new HmacTokens(PREFIX, keys, MAX_LENGTH);
    this.maxTtl = maxTtl;
  }

  /**
   * Checks format, signature and expiry.
   *
   * @throws InvalidAssertionException saying what is wrong (never echoing the value)
   */
  public VerifiedAssertion verify(String value, long nowMillis) {
    byte[] payloadBytes;
    try {
      payloadBytes = tokens.open(value);
    } catch (HmacTokens.Rejected r) {
      throw new InvalidAssertionException(
          r.badSignature()
              ? "on-behalf-of assertion signature does not verify"
              : "on-behalf-of assertion is malformed");
    }
    JsonNode p;
    try {
      p = JSON.readTree(payloadBytes);
    } catch (java.io.IOException e) {
      throw new InvalidAssertionException("on-behalf-of assertion payload is not JSON");
    }
    if (p == null
        || !p.isObject()
        || !p.path("sub").isTextual()
        || !p.path("exp").canConvertToLong()
        || !p.path("exp").isIntegralNumber()
        || !p.path("nonce").isTextual()
        || (p.has("conv") && !p.get("conv").isTextual() && !p.get("conv").isNull())) {
      throw new InvalidAssertionException(
          "on-behalf-of assertion payload needs sub (string), exp (integer), nonce (string)");
    }
    long exp = p.get("exp").asLong();
    long nowSeconds = Math.floorDiv(nowMillis, 1000);
    if (exp <= nowSeconds) {
      throw new InvalidAssertionException("on-behalf-of assertion has expired");
    }
    if (exp > nowSeconds + maxTtl.toSeconds()) {
      throw new InvalidAssertionException(
          "on-behalf-of assertion expires too far ahead (at most " + maxTtl.toSeconds() + " s)");
    }
    String nonce = p.get("nonce").asText();
    if (nonce.isEmpty() || nonce.length() > 128) {
      throw new InvalidAssertionException("on-behalf-of assertion nonce must be 1..128 characters");
    }
    String conv = p.path("conv").isTextual() ? p.get("conv").asText() : null;
    return new VerifiedAssertion(p.get("sub").asText(), conv, exp, nonce);
  }

  /** Creates an assertion (for services that issue them, and for tests). */
  public static String sign(
      Secret key, String subject, String conversation, long expiresAtSeconds, String nonce) {
    ObjectNode p = JSON.createObjectNode();
    p.put("sub", subject);
    if (conversation != null) {
      p.put("conv", conversation);
    }
    p.put("exp", expiresAtSeconds);
    p.put("nonce", nonce);
    try {
      return new HmacTokens(PREFIX, List.of(key), MAX_LENGTH).sign(JSON.writeValueAsBytes(p));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
