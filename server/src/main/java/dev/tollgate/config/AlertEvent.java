package dev.tollgate.config;

import java.util.Locale;

/** An operational event an alert rule can name ({@code alerts.rules[].event}). */
public enum AlertEvent {
  /** The quota store did not answer a Check in time (or failed): {@code store.on_error} applied. */
  STORE_UNAVAILABLE,
  /** A new configuration could not be loaded: the replica keeps the one it has. */
  RELOAD_FAILED;

  /** The name in the configuration and in alert payloads ({@code store_unavailable}). */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
