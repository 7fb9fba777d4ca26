package dev.tollgate.stats;

import java.util.Collection;
import java.util.Set;

/**
 * Bounds the label values that come from requests: a tier or model the configuration does not name
 * is exported as {@value #OTHER}, an absent one as {@value #NONE}, so a client cannot create series
 * by sending model names. No user, conversation or key id is ever a label.
 */
public final class MetricLabels {
  /** The value of a label the request did not get to (a denial before its key was known). */
  public static final String NONE = "none";

  /** The value of a tier or model the configuration does not name. */
  public static final String OTHER = "other";

  /** Every tier and model exported as {@value #OTHER}. */
  public static final MetricLabels UNCONFIGURED = new MetricLabels(Set.of(), Set.of());

  private final Set<String> tiers;
  private final Set<String> models;

  private MetricLabels(Set<String> tiers, Set<String> models) {
    this.tiers = tiers;
    this.models = models;
  }

  /** The tiers and models that are exported under their own names. */
  public static MetricLabels of(Collection<String> tiers, Collection<String> models) {
    return new MetricLabels(Set.copyOf(tiers), Set.copyOf(models));
  }

  /** The label value of a tier name (null: {@value #NONE}). */
  public String tier(String tier) {
    return bounded(tier, tiers);
  }

  /** The label value of a model name (null: {@value #NONE}). */
  public String model(String model) {
    return bounded(model, models);
  }

  private static String bounded(String value, Set<String> known) {
    if (value == null) {
      return NONE;
    }
    return known.contains(value) ? value : OTHER;
  }
}
