-- adds column rate_key
-- The rate limit's bucket (roster.jobs.flow): its callback, or callback and key.
ALTER TABLE background_job ADD COLUMN rate_key VARCHAR(255) NULL
