package dev.tollgate.auth;

/**
 * A signed on-behalf-of assertion whose signature and expiry were checked.
 *
 * @param subject the end user
 * @param conversation the conversation, or null
 * @param expiresAtSeconds expiry, epoch seconds
 * @param nonce the once-only nonce
 */
public record VerifiedAssertion(
    String subject, String conversation, long expiresAtSeconds, String nonce) {}
