-- Tollgate's usage records: one row per quota key, written behind by Hazelcast's map store.
-- The same script runs on PostgreSQL and on the embedded H2 file database (PostgreSQL mode).
CREATE TABLE tollgate_usage_record (
  quota_key  VARCHAR(1024) NOT NULL PRIMARY KEY,
  state      BYTEA         NOT NULL,
  updated_at BIGINT        NOT NULL,
  -- when every window of the record has elapsed: the row may be deleted after it
  expires_at BIGINT        NOT NULL
);
CREATE INDEX tollgate_usage_record_expires ON tollgate_usage_record (expires_at);
