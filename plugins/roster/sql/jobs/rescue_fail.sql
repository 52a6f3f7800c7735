-- The rescuer, first: PROCESSING (2) past its lease means its consumer died (pid, hostname and worker stay on
-- the row); once it used max_attempts it fails for good (PERMANENTLY_FAILED 5), or CANCELLED (9) if asked to.
UPDATE background_job
SET state = CASE WHEN cancel_requested = 1 THEN 9 ELSE 5 END,
    finished_at = CASE WHEN cancel_requested = 1 THEN :now ELSE finished_at END,
    locked_until = NULL, updated_at = :now, error_message = :reason
WHERE queue = :queue AND state = 2 AND locked_until < :now AND number_of_attempts >= :max_attempts
