-- adds index idx_background_job_batch_state
-- A batch's jobs per state: its completion check and its counts, index only.
CREATE INDEX idx_background_job_batch_state ON background_job (batch_id, batch_state)
