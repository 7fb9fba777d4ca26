package dev.tollgate.config;

import java.util.Set;

/**
 * The keys one YAML mapping may hold, declared once by the reader that reads them: the same
 * declaration rejects unknown keys and makes up {@link ConfigLoader#SCHEMA}.
 *
 * @param path where the mapping sits, {@code NAME} standing for a model or tier name and {@code []}
 *     for list items ({@code tiers.NAME.limits[]}); the empty path is the top level
 * @param keys the keys it may hold
 */
record SectionKeys(String path, Set<String> keys) {
  SectionKeys {
    keys = Set.copyOf(keys);
  }

  static SectionKeys of(String path, String... keys) {
    return new SectionKeys(path, Set.of(keys));
  }
}
