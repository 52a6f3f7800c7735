-- adds index idx_background_job_concurrency_state
-- A key's PROCESSING jobs: the concurrency check of a claim; partial, a plain job is not in it.
CREATE INDEX idx_background_job_concurrency_state ON background_job (concurrency_key, concurrency_state) WHERE concurrency_key IS NOT NULL
