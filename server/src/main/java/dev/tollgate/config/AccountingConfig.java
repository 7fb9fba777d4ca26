package dev.tollgate.config;

/**
 * ext_proc accounting.
 *
 * @param addIncludeUsage add {@code stream_options.include_usage: true} to streaming requests
 *     (needs request body BUFFERED)
 */
public record AccountingConfig(boolean addIncludeUsage) {}
