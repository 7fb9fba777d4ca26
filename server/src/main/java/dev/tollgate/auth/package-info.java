/**
 * Who is calling: service keys (SHA-256, constant-time, several valid at once), signed on-behalf-of
 * assertions, and end-user / conversation identity resolution. Plain Java.
 */
package dev.tollgate.auth;
