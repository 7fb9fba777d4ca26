package dev.tollgate.quota;

import java.util.List;
import java.util.Optional;

/**
 * Per-user and per-key {@link LimitOverride overrides}: limits that replace a tier's limits of one
 * scope for one id. {@link #get} is on the Check path: implementations answer from memory, never
 * over the network. Changes apply cluster-wide to the next Check.
 */
public interface Overrides {
  /** The override of {@code scope} and {@code id}, if any; a local in-memory read. */
  Optional<LimitOverride> get(Scope scope, String id);

  /**
   * Sets (or replaces) an override.
   *
   * @return the override as stored
   * @throws StoreUnavailableException when the store cannot take it
   */
  LimitOverride set(LimitOverride override);

  /**
   * Removes the override of {@code scope} and {@code id}.
   *
   * @return whether there was one
   * @throws StoreUnavailableException when the store cannot answer
   */
  boolean clear(Scope scope, String id);

  /**
   * Every override of {@code scope} (null: of every scope), ordered by scope then id.
   *
   * @throws StoreUnavailableException when the store cannot answer
   */
  List<LimitOverride> list(Scope scope);

  /**
   * The limits that apply to {@code id} in {@code scope}: the override's when there is one, else
   * {@code tierLimits}.
   */
  default List<Limit> limitsFor(Scope scope, String id, List<Limit> tierLimits) {
    if (id == null || !LimitOverride.overridable(scope)) {
      return tierLimits;
    }
    return get(scope, id).map(LimitOverride::limits).orElse(tierLimits);
  }

  /** Orders overrides by scope, then id. */
  static List<LimitOverride> sorted(java.util.Collection<LimitOverride> overrides, Scope scope) {
    return overrides.stream()
        .filter(o -> scope == null || o.scope() == scope)
        .sorted(
            java.util.Comparator.comparing(LimitOverride::scope).thenComparing(LimitOverride::id))
        .toList();
  }
}
