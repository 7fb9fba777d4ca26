/**
 * The usage ledger for analytics: per UTC day, tier, user, service key and model, what was settled,
 * refunded and refused. Plain Java; the Hazelcast ledger lives in {@code dev.tollgate.hazelcast}.
 */
package dev.tollgate.ledger;
