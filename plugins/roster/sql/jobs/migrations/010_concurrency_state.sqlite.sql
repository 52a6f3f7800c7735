-- adds column concurrency_state
-- The job's state where it has a concurrency key, computed (never stored): a plain job is not in its index.
ALTER TABLE background_job ADD COLUMN concurrency_state INTEGER GENERATED ALWAYS AS (CASE WHEN concurrency_key IS NULL THEN NULL ELSE state END) VIRTUAL
