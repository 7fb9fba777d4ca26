package dev.tollgate.config;

/** What a service key may do. */
public enum Role {
  /** An ordinary calling service: every limit applies. */
  SERVICE,
  /** A system caller: exempt from per-user and per-conversation limits, still counted. */
  SYSTEM,
  /** An operator: may call the admin API (usage, reset); not accepted by ext_authz. */
  ADMIN;

  /** How the configuration file writes it: {@code service}, {@code system}, {@code admin}. */
  public String configName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
