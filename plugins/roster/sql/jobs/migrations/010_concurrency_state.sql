-- adds column concurrency_state
-- The job's state where it has a concurrency key, computed (never stored): a plain job's claim leaves its index be.
ALTER TABLE background_job ADD COLUMN concurrency_state TINYINT AS (IF(concurrency_key IS NULL, NULL, state)) VIRTUAL
