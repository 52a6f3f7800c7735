-- A graceful stop hands back jobs claimed but not started: READY (1) again, the claim's attempt not counted;
-- CANCELLED (9) when their cancel was requested meanwhile.
UPDATE background_job
SET state = CASE WHEN cancel_requested = 1 THEN 9 ELSE 1 END,
    finished_at = CASE WHEN cancel_requested = 1 THEN :now ELSE finished_at END,
    number_of_attempts = number_of_attempts - 1, locked_until = NULL, updated_at = :now
WHERE id IN :ids AND state = 2 AND claim_id = :claim_id
