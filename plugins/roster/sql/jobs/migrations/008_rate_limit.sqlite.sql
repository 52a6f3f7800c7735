-- adds column rate_limit
-- The rate limit, as '100/60s': starts of the rate_key in any window of that length.
ALTER TABLE background_job ADD COLUMN rate_limit TEXT NULL
