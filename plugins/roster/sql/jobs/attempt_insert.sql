-- A failed attempt, written with its outcome (fail.sql) in the same transaction: the job's story keeps every one.
INSERT INTO background_job_attempt (job_id, attempt, claim_id, state, started_at, finished_at, execution_time_ms,
                                    memory, error_message, traceback, pid, hostname, worker)
VALUES (:job_id, :attempt, :claim_id, :state, :started_at, :finished_at, :ms, :memory, :error, :traceback, :pid,
        :hostname, :worker)
