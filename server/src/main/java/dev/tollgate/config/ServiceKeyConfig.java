package dev.tollgate.config;

import java.util.HexFormat;
import java.util.Objects;

/**
 * A service key, stored as the SHA-256 of its bearer value.
 *
 * @param name a name for logs and per-key quotas
 * @param sha256 32 bytes
 * @param tier the tier whose models and limits apply
 * @param role service or system
 */
public record ServiceKeyConfig(String name, byte[] sha256, String tier, Role role) {
  /** The tier of a key that names none. */
  public static final String DEFAULT_TIER = "default";

  /** The role of a key that names none. */
  public static final Role DEFAULT_ROLE = Role.SERVICE;

  public ServiceKeyConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(tier, "tier");
    Objects.requireNonNull(role, "role");
    if (sha256 == null || sha256.length != 32) {
      throw new IllegalArgumentException("sha256: expected 32 bytes (64 hex digits)");
    }
    sha256 = sha256.clone();
  }

  @Override
  public byte[] sha256() {
    return sha256.clone();
  }

  @Override
  public String toString() {
    // The hash is not the key, but there is no reason to print it either.
    return "ServiceKeyConfig[name="
        + name
        + ", sha256="
        + HexFormat.of().formatHex(sha256, 0, 4)
        + "…, tier="
        + tier
        + ", role="
        + role
        + "]";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ServiceKeyConfig k
        && k.name.equals(name)
        && java.util.Arrays.equals(k.sha256, sha256)
        && k.tier.equals(tier)
        && k.role == role;
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, java.util.Arrays.hashCode(sha256), tier, role);
  }
}
