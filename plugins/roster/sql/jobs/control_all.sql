-- Every control value (the stop-consumers timestamp, each paused lane's `pause:<lane>` since-when): a consumer reads
-- them all at once, once per claim cycle (cached for CONTROL_EVERY_SECONDS), a table of a few rows.
SELECT name, value FROM background_job_control
