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
  /**
   * Defaults: verified sources before what any client can send ({@code jwt:sub}, {@code
   * header:x-on-behalf-of}, {@code header:openai-ephemeral-user-id}); the user {@code anonymous};
   * the conversation from {@code header:openai-conversation-id}; no assertions.
   */
  public static final IdentityConfig DEFAULTS =
      new IdentityConfig(
          List.of(
              new IdentitySource.JwtClaim("sub"),
              new IdentitySource.Header("x-on-behalf-of"),
              new IdentitySource.Header("openai-ephemeral-user-id")),
          "anonymous",
          List.of(new IdentitySource.Header("openai-conversation-id")),
          null);

  public IdentityConfig {
    sources = List.copyOf(sources);
    conversationSources = List.copyOf(conversationSources);
  }
}
