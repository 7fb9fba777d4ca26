package dev.tollgate.config;

/**
 * The real upstream API.
 *
 * @param apiKey the upstream API key Tollgate swaps in on allow
 */
public record UpstreamConfig(Secret apiKey) {}
