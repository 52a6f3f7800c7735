-- Who holds PROCESSING jobs now: one row per consumer process (pid, host, Airflow task instance), read through
-- the (state, locked_until) index.
SELECT pid, hostname, worker, COUNT(*) AS jobs, MIN(last_attempt_at) AS since, MAX(locked_until) AS lease_until,
       MIN(priority) AS min_priority, MAX(priority) AS max_priority
FROM background_job
WHERE state = 2 AND queue = :queue
GROUP BY pid, hostname, worker
ORDER BY since
