/**
 * Accounting: what admission hands to the settlement side, and how it is protected. A {@link
 * dev.tollgate.accounting.ReservationTicket} travels through Envoy's dynamic metadata sealed by
 * a {@link dev.tollgate.accounting.TicketSeal} (HMAC-SHA256 with a cluster secret), so that no
 * one who can reach the gRPC port can invent, alter or retarget a settlement. Plain Java: no
 * gRPC, Envoy or Hazelcast types.
 */
package dev.tollgate.accounting;
