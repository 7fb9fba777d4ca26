package dev.tollgate.config;

import java.util.List;

/**
 * How the end user and the conversation are found.
 *
 * @param sources user identity sources, tried in order
 * @param fallback the user when no source gives one (null: refuse with 400)
 * @param conversationSources conversation id sources, tried in order
 * @param assertion signed on-behalf-of assertions, or null when not used
 */
public record IdentityConfig(
    List<IdentitySource> sources,
    String fallback,
    List<IdentitySource> conversationSources,
    AssertionConfig assertion) {
  public IdentityConfig {
    sources = List.copyOf(sources);
    conversationSources = List.copyOf(conversationSources);
  }
}
