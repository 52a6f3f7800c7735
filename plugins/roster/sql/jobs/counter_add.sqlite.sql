-- Add to a counter (the outcomes of stale claims discarded: `superseded`).
INSERT INTO background_job_counter (name, value) VALUES (:name, :count)
ON CONFLICT (name) DO UPDATE SET value = value + excluded.value
