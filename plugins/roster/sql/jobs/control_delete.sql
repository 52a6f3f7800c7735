-- Remove a control value (a lane's pause, on resume).
DELETE FROM background_job_control WHERE name = :name
