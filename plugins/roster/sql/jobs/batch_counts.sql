-- A batch's jobs per state (its outcome counts).
SELECT state, COUNT(*) FROM background_job WHERE batch_id = :id GROUP BY state
