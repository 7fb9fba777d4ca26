package dev.tollgate.quota;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Limits for one user or one service key that replace its tier's limits of that scope (not merged
 * with them: a window the override does not name is not limited for that user or key).
 *
 * @param scope {@link Scope#USER} or {@link Scope#KEY}
 * @param id the user id or the service key's name
 * @param limits 1 to {@value #MAX_LIMITS} limits, at most one per window and unit
 * @param updatedAtMillis when it was set (epoch millis)
 */
public record LimitOverride(Scope scope, String id, List<Limit> limits, long updatedAtMillis) {
  /** The most limits one override holds. */
  public static final int MAX_LIMITS = 16;

  /** The longest id. */
  public static final int MAX_ID_LENGTH = 256;

  public LimitOverride {
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(id, "id");
    limits = List.copyOf(limits);
    if (!overridable(scope)) {
      throw new IllegalArgumentException(
          "scope: " + scope.configName() + " (expected: user or key)");
    }
    if (id.isEmpty() || id.length() > MAX_ID_LENGTH) {
      throw new IllegalArgumentException(
          "id: " + id.length() + " characters (expected: 1 to " + MAX_ID_LENGTH + ")");
    }
    if (limits.isEmpty() || limits.size() > MAX_LIMITS) {
      throw new IllegalArgumentException(
          "limits: " + limits.size() + " (expected: 1 to " + MAX_LIMITS + ")");
    }
    Set<String> seen = new HashSet<>();
    for (Limit l : limits) {
      if (!seen.add(l.window().name() + "/" + l.unit())) {
        throw new IllegalArgumentException(
            "limits: a second limit on window "
                + l.window().name()
                + " in "
                + l.unit().configName()
                + " (expected: one limit per window and unit)");
      }
    }
  }

  /** Whether limits of {@code scope} may be overridden (user and key scopes). */
  public static boolean overridable(Scope scope) {
    return scope == Scope.USER || scope == Scope.KEY;
  }

  /** The override's key in a store: the quota key of its scope and id ({@code user:alice}). */
  public String key() {
    return QuotaTarget.keyOf(scope, id);
  }
}
