-- adds column cancel_requested
-- Cancelling running jobs: the flag a consumer's callback can see (current_job().cancel_requested).
ALTER TABLE background_job ADD COLUMN cancel_requested TINYINT(1) NOT NULL DEFAULT 0
