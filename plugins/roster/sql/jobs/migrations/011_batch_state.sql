-- adds column batch_state
-- The job's state where it belongs to a batch, computed (never stored): a plain job's claim leaves its index be.
ALTER TABLE background_job ADD COLUMN batch_state TINYINT AS (IF(batch_id IS NULL, NULL, state)) VIRTUAL
