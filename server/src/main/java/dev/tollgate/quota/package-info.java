/**
 * QuotaService as a pure domain: limits over sliding or calendar windows, reservations, and the
 * {@link dev.tollgate.quota.QuotaStore} contract that every backend (in-memory, Hazelcast)
 * implements. No gRPC, Envoy or Hazelcast types here.
 */
package dev.tollgate.quota;
