-- Jobs finished in one minute, per priority: a one-minute range of the (state, finished_at) index.
SELECT priority, COUNT(*) FROM background_job
WHERE state = 3 AND finished_at >= :start AND finished_at < :end AND queue = :queue
GROUP BY priority
