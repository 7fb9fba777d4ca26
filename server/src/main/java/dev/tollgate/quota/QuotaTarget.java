package dev.tollgate.quota;

import java.util.List;
import java.util.Objects;

/**
 * One quota key to reserve against, with its limits.
 *
 * @param scope the scope
 * @param key the quota key in the store ({@code user:alice}, {@code global}, ...)
 * @param limits the limits that apply (may be empty: then the key is only counted)
 * @param enforce false to count without refusing (role {@code system} keys on user scopes)
 */
public record QuotaTarget(Scope scope, String key, List<Limit> limits, boolean enforce) {
  public QuotaTarget {
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(key, "key");
    limits = List.copyOf(limits);
  }

  /** The store key for {@code scope} and {@code id} ({@code id} ignored for global). */
  public static String keyOf(Scope scope, String id) {
    return scope == Scope.GLOBAL ? "global" : scope.configName() + ":" + id;
  }
}
