-- An index of background_job.sql that a table lacks and no numbered upgrade adds; {unique}, {name}, {columns} and
-- {where} (a partial index's condition, SQLite) are its line's in background_job.sql.
CREATE {unique}INDEX {name} ON background_job ({columns}){where}
