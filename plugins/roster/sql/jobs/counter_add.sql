-- Add to a counter (the outcomes of stale claims discarded: `superseded`).
INSERT INTO background_job_counter (name, value) VALUES (:name, :count)
ON DUPLICATE KEY UPDATE value = value + VALUES(value)
