-- Tollgate's limit overrides: per-user or per-key limits that replace the tier's limits of that
-- scope, written through by Hazelcast's map store and all loaded when a member starts.
-- override_key is the Hazelcast map's key (the quota key, e.g. user:alice); limits holds one
-- limit per line, "<window> <unit> <max>" (unit tokens or nano_usd). The same script runs on
-- PostgreSQL and on H2 (PostgreSQL mode).
CREATE TABLE tollgate_limit_override (
  override_key VARCHAR(300)  NOT NULL PRIMARY KEY,
  scope        VARCHAR(16)   NOT NULL,
  override_id  VARCHAR(256)  NOT NULL,
  limits       VARCHAR(4096) NOT NULL,
  updated_at   BIGINT        NOT NULL
);
