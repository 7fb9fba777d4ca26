package dev.tollgate.config;

import java.time.Duration;
import java.util.List;

/**
 * Signed on-behalf-of assertions: a header carrying {@code base64url(payload).base64url(hmac)}
 * where the payload names user, conversation, expiry and a nonce.
 *
 * @param header the header carrying the assertion
 * @param keys HMAC-SHA256 keys; any one verifies (two during rotation)
 * @param maxTtl the longest expiry accepted from now
 * @param required when true, a request without a valid assertion is refused (401)
 */
public record AssertionConfig(String header, List<Secret> keys, Duration maxTtl, boolean required) {
  /** The header when the file names none. */
  public static final String DEFAULT_HEADER = "x-tollgate-assertion";

  /** The longest expiry accepted when the file does not say. */
  public static final Duration DEFAULT_MAX_TTL = Duration.ofMinutes(5);

  /** Whether an assertion is required when the file does not say. */
  public static final boolean DEFAULT_REQUIRED = false;

  public AssertionConfig {
    keys = List.copyOf(keys);
  }
}
