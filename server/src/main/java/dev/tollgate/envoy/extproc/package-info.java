/**
 * ext_proc adapter: one {@code ProcessingSession} per Envoy stream; settles reservations from real
 * usage.
 */
package dev.tollgate.envoy.extproc;
