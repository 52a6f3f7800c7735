-- The claim proper, conditional on READY (1): PROCESSING (2) with a lease, one more attempt, who runs it,
-- and the claim's identity, which every later write of this consumer for the job matches. SQLite
-- has no row locks (writers are serialised): the candidates are claimed here directly, and the rows still READY
-- come back as claim_lock.sql returns them (attempts before this claim).
UPDATE background_job
SET state = 2, locked_until = :locked_until, lease_renewed_at = :now, last_attempt_at = :now, updated_at = :now,
    number_of_attempts = number_of_attempts + 1, pid = :pid, hostname = :hostname, worker = :worker,
    processed_by_broker = :by_broker, claim_id = :claim_id
WHERE id IN :ids AND state = 1
RETURNING id, callback_name, parameters, number_of_attempts - 1, priority, serial_group, identifier, batch_id, rate_key
