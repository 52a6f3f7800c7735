-- The memory of the jobs last attempted in the window (FINISHED 3, TEMPORARILY 4 or PERMANENTLY_FAILED 5): the
-- memory alert. Ranges of idx_background_job_attempted (queue, state, last_attempt_at), bounded.
SELECT id, memory FROM background_job
WHERE queue = :queue AND state IN (3, 4, 5) AND last_attempt_at >= :since AND memory IS NOT NULL
LIMIT 20000
