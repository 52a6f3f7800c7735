-- adds column concurrency_key
-- The concurrency check's key (roster.jobs.flow): at most concurrency_limit PROCESSING jobs per key.
ALTER TABLE background_job ADD COLUMN concurrency_key TEXT NULL
