-- adds index idx_background_job_concurrency_state
-- A key's PROCESSING jobs: the concurrency check of a claim, one short index-only range per key.
CREATE INDEX idx_background_job_concurrency_state ON background_job (concurrency_key, concurrency_state)
