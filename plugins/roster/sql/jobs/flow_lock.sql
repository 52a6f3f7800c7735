-- Take the lock rows of flow-control keys (one per concurrency key, rate key or unique-by-period identifier), made
-- on first use: concurrent claims (publishes) of one key wait here, in name order (no deadlock between them), until
-- the holder commits. ON DUPLICATE KEY UPDATE takes the row's exclusive lock at once (no shared lock to upgrade).
INSERT INTO background_job_limit (name, locked_at)
SELECT r.name, :now FROM JSON_TABLE(:names, '$[*]' COLUMNS (name VARCHAR(255) PATH '$')) AS r
ORDER BY r.name
ON DUPLICATE KEY UPDATE locked_at = VALUES(locked_at)
