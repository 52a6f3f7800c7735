-- adds index idx_background_job_concurrency
-- A key's PROCESSING jobs: the concurrency check of a claim, one short range per key.
CREATE INDEX idx_background_job_concurrency ON background_job (concurrency_key, state)
