-- A job's failed attempts, oldest first: the (job_id, id) index.
SELECT attempt, claim_id, state, started_at, finished_at, execution_time_ms, memory, error_message, traceback, pid,
       hostname, worker
FROM background_job_attempt WHERE job_id = :id
ORDER BY id
LIMIT 200
