-- Outcomes of the jobs last attempted in the window (finished, temporarily or permanently failed): the failure rate.
-- Read from idx_background_job_attempted (queue, state, last_attempt_at) alone: one range per state, of the window's
-- rows only (the claim index would read every finished job of the queue).
SELECT state, COUNT(*) AS jobs
FROM background_job
WHERE queue = :queue AND state IN (3, 4, 5) AND last_attempt_at >= :since
GROUP BY state
