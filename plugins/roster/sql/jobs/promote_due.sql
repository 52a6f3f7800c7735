-- Retries (TEMPORARILY_FAILED 4) and waits (WAITING 6) that are due become READY (1): only READY is claimed.
UPDATE background_job SET state = 1, updated_at = :now
WHERE state IN (4, 6) AND available_at <= :now AND queue = :queue
