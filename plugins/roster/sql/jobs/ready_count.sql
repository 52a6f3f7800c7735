-- Jobs a lane's consumer would claim now (READY 1, or a retry 4 or wait 6 that is due): what
-- JobQueueSensor waits for.
SELECT COUNT(*) FROM background_job
WHERE queue = :queue AND state IN (1, 4, 6) AND available_at <= :now AND priority BETWEEN :low AND :high
