-- Candidates of a claim: READY (1) and due, in the lane's priority range, most urgent first then oldest (the
-- claim index, read in order); with every_id = 0 only the ids a broker delivered. A job of a serial group only when
-- nothing of its group is running and nothing earlier in its order is unfinished (-1, 1, 2, 4, 6, 8).
-- A job with a concurrency_key only while fewer than its concurrency_limit of that key are PROCESSING (2); the
-- flow-control columns come back for roster.jobs.flow, which re-checks keys under their lock rows (NULL: no check).
-- A plain (non-locking) read: claim_lock locks the rows and re-checks the state.
SELECT j.id, j.concurrency_key, j.concurrency_limit, j.rate_key, j.rate_limit FROM background_job j
WHERE j.queue = :queue AND j.state = 1 AND j.priority BETWEEN :low AND :high
  AND j.available_at <= :now AND (:every_id = 1 OR j.id IN :only)
  AND (j.serial_group IS NULL OR NOT EXISTS (
        SELECT 1 FROM background_job g
        WHERE g.serial_group = j.serial_group AND g.queue = j.queue AND g.state IN (-1, 1, 2, 4, 6, 8)
          AND (g.state = 2 OR g.priority < j.priority OR (g.priority = j.priority AND g.id < j.id))))
  AND (j.concurrency_key IS NULL OR j.concurrency_limit > (
        SELECT COUNT(*) FROM background_job c
        WHERE c.concurrency_key = j.concurrency_key AND c.concurrency_state = 2))
ORDER BY j.priority, j.id
LIMIT :batch
