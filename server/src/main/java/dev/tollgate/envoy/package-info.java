/** Thin adapters between Envoy's protocols and Tollgate's domain. */
package dev.tollgate.envoy;
