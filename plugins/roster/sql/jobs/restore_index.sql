-- An index of background_job.sql that a table lacks and no numbered upgrade adds; {unique}, {name} and {columns}
-- are its line's in background_job.sql.
CREATE {unique}INDEX {name} ON background_job ({columns})
