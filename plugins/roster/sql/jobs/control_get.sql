-- A control value (the stop-consumers timestamp): one primary-key read.
SELECT value FROM background_job_control WHERE name = :name
