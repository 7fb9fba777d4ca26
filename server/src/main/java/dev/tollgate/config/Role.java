package dev.tollgate.config;

/** What a service key may do. */
public enum Role {
  /** An ordinary calling service: every limit applies. */
  SERVICE,
  /** A system caller: exempt from per-user and per-conversation limits, still counted. */
  SYSTEM,
  /** An operator: may call the admin API (usage, reset); not accepted by ext_authz. */
  ADMIN
}
