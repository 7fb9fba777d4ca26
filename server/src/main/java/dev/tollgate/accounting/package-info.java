/**
 * Accounting: what an answered request is charged. {@link dev.tollgate.accounting.Accounting} is
 * the policy (a non-2xx answer releases the reservation, reported usage is priced by {@link
 * dev.tollgate.accounting.Pricing} and charged, {@code accounting.missing_usage} decides when the
 * provider reports nothing); an {@link dev.tollgate.accounting.Account} settles one request at most
 * once; {@link dev.tollgate.accounting.IncludeUsage} asks streams to report usage. A {@link
 * dev.tollgate.accounting.ReservationTicket} travels from admission through Envoy's dynamic
 * metadata sealed by a {@link dev.tollgate.accounting.TicketSeal} (HMAC-SHA256 with a cluster
 * secret), so that no one who can reach the gRPC port can invent, alter or retarget a settlement.
 * Plain Java: no gRPC, Envoy or Hazelcast types; the ext_proc session only translates.
 */
package dev.tollgate.accounting;
