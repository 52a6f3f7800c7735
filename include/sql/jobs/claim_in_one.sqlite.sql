-- SQLite: one statement claims (writers are serialised, so candidates and update are atomic): the candidates of
-- claim_candidates.sql marked as claim_mark.sql does, and returned as claim_lock.sql returns them (attempts
-- before this claim).
UPDATE background_job
SET state = 2, locked_until = :locked_until, last_attempt_at = :now, updated_at = :now,
    number_of_attempts = number_of_attempts + 1, pid = :pid, hostname = :hostname, worker = :worker,
    processed_by_broker = :by_broker
WHERE state = 1 AND id IN (
    SELECT j.id FROM background_job j
    WHERE j.queue = :queue AND j.state = 1 AND j.priority BETWEEN :low AND :high
      AND j.available_at <= :now AND (:every_id = 1 OR j.id IN :only)
      AND (j.serial_group IS NULL OR NOT EXISTS (
            SELECT 1 FROM background_job g
            WHERE g.serial_group = j.serial_group AND g.queue = j.queue AND g.state IN (-1, 1, 2, 4, 6, 8)
              AND (g.state = 2 OR g.priority < j.priority OR (g.priority = j.priority AND g.id < j.id))))
    ORDER BY j.priority, j.id
    LIMIT :batch)
RETURNING id, callback_name, parameters, number_of_attempts - 1, priority, serial_group, identifier
