-- The rescuer, then: the other expired leases go back to READY (1), or CANCELLED (9) if asked to.
UPDATE background_job
SET state = CASE WHEN cancel_requested = 1 THEN 9 ELSE 1 END,
    finished_at = CASE WHEN cancel_requested = 1 THEN :now ELSE finished_at END,
    locked_until = NULL, updated_at = :now, error_message = :reason
WHERE queue = :queue AND state = 2 AND locked_until < :now
