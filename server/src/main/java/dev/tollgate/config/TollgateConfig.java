package dev.tollgate.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The whole configuration, immutable.
 *
 * @param source the file it was read from (null when built in code)
 * @param upstream the upstream API
 * @param keys service keys
 * @param identity end-user and conversation identity
 * @param models models by name (insertion order kept)
 * @param tiers tiers by name
 * @param routes path routing
 * @param server listening side
 * @param store quota store
 * @param accounting ext_proc accounting
 * @param request request-body admission
 * @param alerts alert webhooks and rules
 */
public record TollgateConfig(
    Path source,
    UpstreamConfig upstream,
    List<ServiceKeyConfig> keys,
    IdentityConfig identity,
    Map<String, ModelConfig> models,
    Map<String, TierConfig> tiers,
    RoutesConfig routes,
    ServerConfig server,
    StoreConfig store,
    AccountingConfig accounting,
    RequestConfig request,
    AlertsConfig alerts) {
  public TollgateConfig {
    keys = List.copyOf(keys);
    models = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(models));
    tiers = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(tiers));
    alerts = alerts == null ? AlertsConfig.NONE : alerts;
  }
}
