-- The sums of the usage ledger (V4) are no longer added by the transaction that writes a ledger row:
-- a written row is marked dirty, and a catch-up adds the difference between its values and what was
-- already summed of it (kept beside it, in the summed_* columns) to the sums, then clears the mark.
-- A row written many times between two catch-ups is summed once. Rows written before this version
-- were summed as they were written: their summed_* columns are their values.
ALTER TABLE tollgate_usage_ledger ADD COLUMN dirty BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE tollgate_usage_ledger ADD COLUMN summed BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE tollgate_usage_ledger ADD COLUMN summed_requests BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tollgate_usage_ledger ADD COLUMN summed_input_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tollgate_usage_ledger ADD COLUMN summed_cached_input_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tollgate_usage_ledger ADD COLUMN summed_output_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tollgate_usage_ledger ADD COLUMN summed_nano_usd BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tollgate_usage_ledger ADD COLUMN summed_refusals VARCHAR(4096) NOT NULL DEFAULT '';

UPDATE tollgate_usage_ledger
SET dirty = FALSE, summed = TRUE, summed_requests = requests, summed_input_tokens = input_tokens,
    summed_cached_input_tokens = cached_input_tokens, summed_output_tokens = output_tokens,
    summed_nano_usd = nano_usd, summed_refusals = refusals;

-- the catch-up reads the dirty rows (on PostgreSQL the index holds only those: WHERE dirty)
CREATE INDEX tollgate_usage_ledger_dirty ON tollgate_usage_ledger (dirty) ${dirty_rows_only};

-- one row, locked by each catch-up's transaction: the replicas' catch-ups take turns
CREATE TABLE tollgate_usage_sums_lock (
  id INT NOT NULL PRIMARY KEY
);
INSERT INTO tollgate_usage_sums_lock VALUES (1);
