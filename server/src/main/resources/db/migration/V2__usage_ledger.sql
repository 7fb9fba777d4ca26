-- Tollgate's usage ledger: one row per (UTC day, tier, user, service key, model), the daily
-- aggregate of what was settled, refunded and refused, written behind by Hazelcast's map store.
-- ledger_key is the Hazelcast map's key (day|tier|user|key|model, URL-encoded parts); the other
-- columns are its parts, for analytics. Rows older than store.persistence.retention_days are
-- deleted by the map store. The same script runs on PostgreSQL and on H2 (PostgreSQL mode).
CREATE TABLE tollgate_usage_ledger (
  ledger_key          VARCHAR(2048) NOT NULL PRIMARY KEY,
  usage_day           DATE          NOT NULL,
  tier                VARCHAR(256)  NOT NULL,
  user_id             VARCHAR(512)  NOT NULL,
  service_key         VARCHAR(256)  NOT NULL,
  model               VARCHAR(256)  NOT NULL,
  requests            BIGINT        NOT NULL,
  refunded_requests   BIGINT        NOT NULL,
  input_tokens        BIGINT        NOT NULL,
  cached_input_tokens BIGINT        NOT NULL,
  output_tokens       BIGINT        NOT NULL,
  nano_usd            BIGINT        NOT NULL,
  refusals            VARCHAR(4096) NOT NULL,
  updated_at          BIGINT        NOT NULL
);

-- "all users of a tier for a period"
CREATE INDEX tollgate_usage_ledger_tier_day ON tollgate_usage_ledger (tier, usage_day);
-- retention sweeps and all-tier periods
CREATE INDEX tollgate_usage_ledger_day ON tollgate_usage_ledger (usage_day);
