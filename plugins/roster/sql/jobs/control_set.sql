-- Set a control value (the stop-consumers timestamp).
INSERT INTO background_job_control (name, value) VALUES (:name, :value) ON DUPLICATE KEY UPDATE value = VALUES(value)
