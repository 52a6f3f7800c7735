-- Jobs started in one minute (still PROCESSING 2 or FINISHED 3), with when they were due: the due -> start latency.
-- One-minute ranges of idx_background_job_attempted (queue, state, last_attempt_at), bounded.
SELECT priority, available_at, last_attempt_at FROM background_job
WHERE queue = :queue AND state IN (2, 3) AND last_attempt_at >= :start AND last_attempt_at < :end
LIMIT 50000
