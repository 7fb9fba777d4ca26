package dev.tollgate.config;

/**
 * Routing of request paths.
 *
 * @param unknownPath what happens to a path that is not an API Tollgate knows
 */
public record RoutesConfig(UnknownPath unknownPath) {
  /** The default: unknown paths refused. */
  public static final RoutesConfig DEFAULTS = new RoutesConfig(UnknownPath.DENY);

  /** Policy for unknown paths. */
  public enum UnknownPath {
    /** Refuse with 404 OpenAI-style error. */
    DENY,
    /** Allow (after service authentication) without counting tokens. */
    ALLOW
  }
}
