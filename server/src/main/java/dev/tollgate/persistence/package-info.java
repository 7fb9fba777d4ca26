/**
 * Usage that survives restarts: the database behind the quota store. {@link
 * dev.tollgate.persistence.Database} opens the embedded file database (H2) or PostgreSQL through a
 * small connection pool and migrates the schema on start-up (Flyway, scripts in {@code
 * db/migration}); {@link dev.tollgate.persistence.UsageRecordTable} reads and writes usage records,
 * encoded by {@link dev.tollgate.persistence.UsageRecordBytes}. Plain JDBC: Hazelcast's map stores
 * in {@code dev.tollgate.hazelcast} call it from their write-behind threads, never from the Check
 * path.
 */
package dev.tollgate.persistence;
