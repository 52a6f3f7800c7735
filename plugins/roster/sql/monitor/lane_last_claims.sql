-- The latest claim per priority within the window (jobs claimed since: still PROCESSING 2, or ended FINISHED 3,
-- TEMPORARILY 4 or PERMANENTLY_FAILED 5, WAITING 6): ranges of idx_background_job_attempted (queue, state,
-- last_attempt_at) over the window only, so the cost follows the window's claims, not the table's size.
SELECT priority, MAX(last_attempt_at) AS last_claim
FROM background_job
WHERE queue = :queue AND state IN (2, 3, 4, 5, 6) AND last_attempt_at >= :since
GROUP BY priority
