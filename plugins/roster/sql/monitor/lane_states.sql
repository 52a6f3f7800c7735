-- Counts per state and priority (lanes are priority ranges, so Python folds priorities into lanes), with the
-- oldest due READY job and the latest claim of each group: what the Roster page, the gauges and the alerts read.
-- One pass over the claim index (queue, state, priority, id).
SELECT state, priority, COUNT(*) AS jobs,
       MIN(CASE WHEN state = 1 AND available_at <= :now THEN available_at END) AS oldest_due,
       MAX(last_attempt_at) AS last_claim
FROM background_job
WHERE queue = :queue
GROUP BY state, priority
