-- adds index idx_background_job_batch
-- A batch's unfinished jobs: its completion check, one short range.
CREATE INDEX idx_background_job_batch ON background_job (batch_id, state)
