-- How many jobs wait to run, per state (READY 1, TEMPORARILY_FAILED 4, WAITING 6): a range of the claim index.
SELECT state, COUNT(*) AS jobs
FROM background_job
WHERE queue = :queue AND state IN (1, 4, 6)
GROUP BY state
