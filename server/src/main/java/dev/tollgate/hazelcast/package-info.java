/**
 * The Hazelcast quota store: usage records in an {@code IMap}, changed only by entry processors on
 * each key's owner; the cluster set-up (embedded member or client) from Tollgate's config; the
 * cluster-wide nonce set for signed assertions.
 */
package dev.tollgate.hazelcast;
