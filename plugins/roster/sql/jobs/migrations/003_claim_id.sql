-- adds column claim_id
-- The claim's identity: a stale consumer's writes match nothing (roster.jobs.fencing).
ALTER TABLE background_job ADD COLUMN claim_id BIGINT NULL
