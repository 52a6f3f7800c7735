-- adds index idx_background_job_batch_state
-- A batch's jobs per state: its completion check and its counts; partial, a plain job is not in it.
CREATE INDEX idx_background_job_batch_state ON background_job (batch_id, batch_state) WHERE batch_id IS NOT NULL
