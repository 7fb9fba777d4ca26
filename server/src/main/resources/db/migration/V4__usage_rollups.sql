-- Sums of the usage ledger kept as its rows are written (in the same transaction, by additive
-- upserts of the changes), so that a report reads a few rows per user instead of every daily row.
-- The same script runs on PostgreSQL and on H2 (PostgreSQL mode). Refusals are added by the Java
-- migration that follows (their counts are text in the ledger).

-- per user and period: period_kind D (a UTC day), W (an ISO week, starting Monday) or M (a calendar
-- month); ledger_rows counts the ledger rows summed (a user with rows of zero usage is listed)
CREATE TABLE tollgate_usage_user_period (
  tier         VARCHAR(256) NOT NULL,
  period_kind  CHAR(1)      NOT NULL,
  period_start DATE         NOT NULL,
  user_id      VARCHAR(512) NOT NULL,
  requests     BIGINT       NOT NULL,
  tokens       BIGINT       NOT NULL,
  nano_usd     BIGINT       NOT NULL,
  refusals     BIGINT       NOT NULL,
  ledger_rows  BIGINT       NOT NULL,
  PRIMARY KEY (tier, period_kind, period_start, user_id)
);

-- per day: active_users counts the users whose day has requests
CREATE TABLE tollgate_usage_day (
  tier         VARCHAR(256) NOT NULL,
  usage_day    DATE         NOT NULL,
  active_users BIGINT       NOT NULL,
  requests     BIGINT       NOT NULL,
  tokens       BIGINT       NOT NULL,
  nano_usd     BIGINT       NOT NULL,
  refusals     BIGINT       NOT NULL,
  PRIMARY KEY (tier, usage_day)
);

-- per day and model
CREATE TABLE tollgate_usage_day_model (
  tier                VARCHAR(256) NOT NULL,
  usage_day           DATE         NOT NULL,
  model               VARCHAR(256) NOT NULL,
  requests            BIGINT       NOT NULL,
  input_tokens        BIGINT       NOT NULL,
  cached_input_tokens BIGINT       NOT NULL,
  output_tokens       BIGINT       NOT NULL,
  nano_usd            BIGINT       NOT NULL,
  ledger_rows         BIGINT       NOT NULL,
  PRIMARY KEY (tier, usage_day, model)
);

-- refusals per day, user and limit (scope:window)
CREATE TABLE tollgate_usage_day_refusal (
  tier      VARCHAR(256) NOT NULL,
  usage_day DATE         NOT NULL,
  user_id   VARCHAR(512) NOT NULL,
  limit_key VARCHAR(512) NOT NULL,
  refusals  BIGINT       NOT NULL,
  PRIMARY KEY (tier, usage_day, user_id, limit_key)
);

-- the sums of the rows written before this version
INSERT INTO tollgate_usage_user_period
SELECT tier, 'D', usage_day, user_id, SUM(requests), SUM(input_tokens + output_tokens),
       SUM(nano_usd), 0, COUNT(*)
FROM tollgate_usage_ledger GROUP BY tier, usage_day, user_id;

INSERT INTO tollgate_usage_user_period
SELECT tier, 'W', period_start, user_id, SUM(requests), SUM(tokens), SUM(nano_usd), 0, COUNT(*)
FROM (SELECT tier, usage_day - CAST(EXTRACT(ISODOW FROM usage_day) AS INT) + 1 AS period_start,
             user_id, requests, input_tokens + output_tokens AS tokens, nano_usd
      FROM tollgate_usage_ledger) t
GROUP BY tier, period_start, user_id;

INSERT INTO tollgate_usage_user_period
SELECT tier, 'M', period_start, user_id, SUM(requests), SUM(tokens), SUM(nano_usd), 0, COUNT(*)
FROM (SELECT tier, usage_day - CAST(EXTRACT(DAY FROM usage_day) AS INT) + 1 AS period_start,
             user_id, requests, input_tokens + output_tokens AS tokens, nano_usd
      FROM tollgate_usage_ledger) t
GROUP BY tier, period_start, user_id;

INSERT INTO tollgate_usage_day
SELECT tier, period_start, SUM(CASE WHEN requests > 0 THEN 1 ELSE 0 END), SUM(requests),
       SUM(tokens), SUM(nano_usd), 0
FROM tollgate_usage_user_period WHERE period_kind = 'D'
GROUP BY tier, period_start;

INSERT INTO tollgate_usage_day_model
SELECT tier, usage_day, model, SUM(requests), SUM(input_tokens), SUM(cached_input_tokens),
       SUM(output_tokens), SUM(nano_usd), COUNT(*)
FROM tollgate_usage_ledger GROUP BY tier, usage_day, model;
