-- Counts per state and priority of the states the lanes show (READY 1, PROCESSING 2, TEMPORARILY_FAILED 4,
-- PERMANENTLY_FAILED 5, WAITING 6; lanes are priority ranges, so Python folds priorities into lanes): ranges of the
-- claim index (queue, state, priority, id) read alone, never the finished jobs that make up most of the table.
SELECT state, priority, COUNT(*) AS jobs
FROM background_job
WHERE queue = :queue AND state IN (1, 2, 4, 5, 6)
GROUP BY state, priority
