-- Who holds PROCESSING jobs now: one row per consumer process (pid, host, Airflow task instance), read through
-- the (state, locked_until) index; with its heartbeat: the stalest lease renewal and the lease that ends first.
SELECT pid, hostname, worker, COUNT(*) AS jobs, MIN(last_attempt_at) AS since, MAX(locked_until) AS lease_until,
       MIN(priority) AS min_priority, MAX(priority) AS max_priority,
       MIN(lease_renewed_at) AS renewed_at, MIN(locked_until) AS first_expiry
FROM background_job
WHERE state = 2 AND queue = :queue
GROUP BY pid, hostname, worker
ORDER BY since
