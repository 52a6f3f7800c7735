-- Any other outcome of a run (TEMPORARILY_FAILED 4, PERMANENTLY_FAILED 5, WAITING 6), for one job still
-- PROCESSING (2) under this consumer's claim; a job whose cancel was requested while it ran ends CANCELLED (9)
-- instead.
UPDATE background_job
SET state = CASE WHEN cancel_requested = 1 THEN 9 ELSE :state END,
    finished_at = CASE WHEN cancel_requested = 1 THEN :now ELSE finished_at END,
    error_message = :error, available_at = :available_at, execution_time_ms = :ms,
    memory = :memory, number_of_attempts = number_of_attempts - :uncount, locked_until = NULL, updated_at = :now
WHERE id = :id AND state = 2 AND claim_id = :claim_id
