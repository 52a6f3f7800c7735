-- Set a control value only when it is not set (pausing a paused lane keeps its since-when).
INSERT IGNORE INTO background_job_control (name, value) VALUES (:name, :value)
