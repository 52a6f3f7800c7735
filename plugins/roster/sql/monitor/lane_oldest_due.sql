-- The oldest due READY (1) job of one lane: the (state, available_at) index read in order from the oldest, stopped
-- at the first job of the lane's priority range.
SELECT available_at FROM background_job
WHERE state = 1 AND available_at <= :now AND queue = :queue AND priority BETWEEN :low AND :high
ORDER BY available_at
LIMIT 1
