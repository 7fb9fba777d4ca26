package dev.tollgate.config;

import dev.tollgate.quota.Limit;
import dev.tollgate.quota.Scope;

/**
 * One configured limit of a tier: {@code { scope: user, window: 5m, tokens: 20000 }} or {@code {
 * scope: user, window: month, usd: 5.00 }}.
 *
 * @param scope who it applies to
 * @param limit the window, unit and cap
 */
public record LimitConfig(Scope scope, Limit limit) {}
