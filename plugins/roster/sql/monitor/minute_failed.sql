-- Attempts that failed (TEMPORARILY_FAILED 4, PERMANENTLY_FAILED 5) in one minute, per priority of their job: a
-- one-minute range of the attempts' finished_at index, each joined to its job by primary key.
SELECT j.priority, COUNT(*) FROM background_job_attempt a JOIN background_job j ON j.id = a.job_id
WHERE a.finished_at >= :start AND a.finished_at < :end AND a.state IN (4, 5) AND j.queue = :queue
GROUP BY j.priority
