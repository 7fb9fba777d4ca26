package dev.tollgate.auth;

import dev.tollgate.config.ServiceKeyConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Optional;

/**
 * The configured service keys. A bearer value is hashed with SHA-256 and compared with every
 * configured hash in constant time, so neither the match nor its position leaks through timing.
 * Several keys may be valid at once (rotation with overlap).
 */
public final class ServiceKeys {
  private static final String BEARER = "bearer ";
  private final List<ServiceKeyConfig> keys;
  private final byte[][] hashes;

  public ServiceKeys(List<ServiceKeyConfig> keys) {
    this.keys = List.copyOf(keys);
    this.hashes = new byte[this.keys.size()][];
    for (int i = 0; i < hashes.length; i++) {
      hashes[i] = this.keys.get(i).sha256();
    }
  }

  /**
   * The key an {@code authorization} header value names, if any.
   *
   * @param authorization the header value ({@code Bearer <key>}), may be null
   */
  public Optional<ServiceKeyConfig> authenticate(String authorization) {
    String bearer = bearerToken(authorization);
    if (bearer == null) {
      return Optional.empty();
    }
    byte[] hash = sha256(bearer.getBytes(StandardCharsets.UTF_8));
    int match = -1;
    for (int i = 0; i < hashes.length; i++) {
      // no early exit: every configured key is compared
      if (MessageDigest.isEqual(hash, hashes[i]) && match < 0) {
        match = i;
      }
    }
    return match < 0 ? Optional.empty() : Optional.of(keys.get(match));
  }

  /** The token of a {@code Bearer} authorization value, or null. */
  static String bearerToken(String authorization) {
    if (authorization == null) {
      return null;
    }
    String v = authorization.strip();
    if (v.length() <= BEARER.length() || !v.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return null;
    }
    String token = v.substring(BEARER.length()).strip();
    return token.isEmpty() ? null : token;
  }

  /** SHA-256 of {@code data}. */
  public static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every JDK", e);
    }
  }
}
