-- Counts per queue, state and priority, and per group the oldest READY (1) job that is due.
SELECT queue, state, priority, COUNT(*), MIN(CASE WHEN state = 1 AND available_at <= :now THEN available_at END)
FROM background_job GROUP BY queue, state, priority
