-- adds column concurrency_limit
-- How many PROCESSING jobs of its concurrency_key a job may join.
ALTER TABLE background_job ADD COLUMN concurrency_limit INTEGER NULL
