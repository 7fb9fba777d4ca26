package dev.tollgate.config;

import java.util.List;

/** A configuration that cannot be used; carries every error found, each naming file and key. */
public final class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;
  private final List<String> errors;

  public ConfigException(List<String> errors) {
    super(String.join("\n", errors));
    this.errors = List.copyOf(errors);
  }

  /**
   * Every error, e.g. {@code tollgate.yaml: tiers.default.limits[0].window: '5x' (expected: ...)}.
   */
  public List<String> errors() {
    return errors;
  }
}
