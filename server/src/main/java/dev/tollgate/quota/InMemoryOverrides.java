package dev.tollgate.quota;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/** Overrides held in this process ({@code store.type: memory}): lost when it stops. */
public final class InMemoryOverrides implements Overrides {
  private final ConcurrentMap<String, LimitOverride> overrides = new ConcurrentHashMap<>();

  @Override
  public Optional<LimitOverride> get(Scope scope, String id) {
    return Optional.ofNullable(overrides.get(QuotaTarget.keyOf(scope, id)));
  }

  @Override
  public LimitOverride set(LimitOverride override) {
    overrides.put(override.key(), override);
    return override;
  }

  @Override
  public boolean clear(Scope scope, String id) {
    return overrides.remove(QuotaTarget.keyOf(scope, id)) != null;
  }

  @Override
  public List<LimitOverride> list(Scope scope) {
    return Overrides.sorted(overrides.values(), scope);
  }
}
