-- adds column lease_renewed_at
-- The claim's heartbeat: when its lease was last renewed.
ALTER TABLE background_job ADD COLUMN lease_renewed_at TEXT NULL
