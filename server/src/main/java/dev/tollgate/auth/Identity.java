package dev.tollgate.auth;

/**
 * The end user a request is made for, and its conversation.
 *
 * @param user the user id (never null)
 * @param source where it came from ({@code header:x-on-behalf-of}, {@code fallback}, ...)
 * @param conversation the conversation id, or null
 */
public record Identity(String user, String source, String conversation) {}
