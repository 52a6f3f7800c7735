-- A counter's value: one primary-key read.
SELECT value FROM background_job_counter WHERE name = :name
