-- Set a control value only when it is not set (pausing a paused lane keeps its since-when).
INSERT INTO background_job_control (name, value) VALUES (:name, :value) ON CONFLICT (name) DO NOTHING
