package dev.tollgate.config;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What one reload of the configuration did.
 *
 * @param outcome applied, failed (the last good configuration stays) or unchanged
 * @param trigger what started it: {@code file}, {@code poll}, {@code SIGHUP}, ...
 * @param at when it ended
 * @param errors why it failed, each naming the file and the key path (empty unless failed)
 * @param needsRestart key paths that changed but apply only on a restart (their running values
 *     stay)
 */
public record ReloadResult(
    Outcome outcome, String trigger, Instant at, List<String> errors, List<String> needsRestart) {
  /** What a reload did. */
  public enum Outcome {
    /** A new configuration is in use. */
    APPLIED,
    /** The files could not be read or are invalid: the last good configuration stays in use. */
    FAILED,
    /** The files hold what is already in use. */
    UNCHANGED;

    /** The name in metrics: {@code applied}, {@code failed}, {@code unchanged}. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public ReloadResult {
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(trigger, "trigger");
    Objects.requireNonNull(at, "at");
    errors = List.copyOf(errors);
    needsRestart = List.copyOf(needsRestart);
  }
}
