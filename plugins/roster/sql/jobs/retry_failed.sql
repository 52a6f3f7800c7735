-- An operator's retry: PERMANENTLY_FAILED (5) back to READY (1) with a fresh attempt count.
UPDATE background_job
SET state = 1, number_of_attempts = 0, available_at = :now, updated_at = :now, error_message = NULL
WHERE queue = :queue AND state = 5 AND (:every_id = 1 OR id IN :ids)
