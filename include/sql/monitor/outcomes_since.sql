-- Outcomes of the jobs last attempted in the window (finished, temporarily or permanently failed): the failure rate.
SELECT state, COUNT(*) AS jobs
FROM background_job
WHERE queue = :queue AND last_attempt_at >= :since AND state IN (3, 4, 5)
GROUP BY state
