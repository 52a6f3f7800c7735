-- adds column batch_state
-- The job's state where it belongs to a batch, computed (never stored): a plain job is not in its index.
ALTER TABLE background_job ADD COLUMN batch_state INTEGER GENERATED ALWAYS AS (CASE WHEN batch_id IS NULL THEN NULL ELSE state END) VIRTUAL
