-- A column of background_job.sql that a table lacks and no numbered upgrade adds (a table altered by hand):
-- {definition} is the column's line in background_job.sql, as a new table would have it.
ALTER TABLE background_job ADD COLUMN {definition}
