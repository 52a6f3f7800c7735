-- Cancel jobs not running (BACK_TO_BROKER -1, READY 1, TEMPORARILY_FAILED 4, WAITING 6, BROKER_FAILED 8): CANCELLED
-- (9) at once, so no claim can take them any more (claims take READY rows only, re-checked under the row lock).
-- By id, or every job of the queue with the identifier.
UPDATE background_job
SET state = 9, finished_at = :now, updated_at = :now, error_message = :reason, locked_until = NULL
WHERE state IN (-1, 1, 4, 6, 8) AND (id IN :ids OR (queue = :queue AND identifier = :identifier))
