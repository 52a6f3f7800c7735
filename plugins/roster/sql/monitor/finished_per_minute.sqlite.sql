-- Jobs finished per minute and priority in the last hour (the page's chart), read through the (state, finished_at) index.
SELECT priority, strftime('%Y-%m-%d %H:%M', finished_at) AS minute, COUNT(*) AS jobs
FROM background_job
WHERE state = 3 AND queue = :queue AND finished_at >= :since
GROUP BY priority, minute
