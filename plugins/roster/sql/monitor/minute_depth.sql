-- The depth now, per state and priority: READY 1, PROCESSING 2, TEMPORARILY_FAILED 4 and WAITING 6 (both waiting for
-- their time): ranges of the claim index (queue, state, priority, id), finished jobs never read.
SELECT state, priority, COUNT(*) FROM background_job
WHERE queue = :queue AND state IN (1, 2, 4, 6)
GROUP BY state, priority
