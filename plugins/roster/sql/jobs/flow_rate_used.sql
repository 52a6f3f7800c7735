-- Starts of a rate key in the window ending now, and the oldest of them (when the next slot frees).
SELECT COALESCE(SUM(starts), 0), MIN(started_at) FROM background_job_start
WHERE rate_key = :rate_key AND started_at > :since
