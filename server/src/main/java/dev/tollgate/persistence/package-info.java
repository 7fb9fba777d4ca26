/**
 * Usage that survives restarts: the database behind the quota store. {@link
 * dev.tollgate.persistence.Database} opens the embedded file database (H2) or PostgreSQL through a
 * small connection pool and migrates the schema on start-up (Flyway, scripts in {@code
 * db/migration}); {@link dev.tollgate.persistence.UsageRecordTable} reads and writes usage records,
 * encoded by {@link dev.tollgate.persistence.UsageRecordBytes}; {@link
 * dev.tollgate.persistence.LedgerTable} writes the usage ledger's daily rows and keeps their sums,
 * which {@link dev.tollgate.persistence.LedgerQueries} reads for the analytics. Plain JDBC:
 * Hazelcast's map stores in {@code dev.tollgate.hazelcast} call it from their write-behind threads,
 * never from the Check path.
 */
package dev.tollgate.persistence;
