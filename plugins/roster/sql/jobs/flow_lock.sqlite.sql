-- Take the lock rows of flow-control keys, made on first use. SQLite serialises writers: this write starts the
-- transaction's write lock, so what the claim (publish) reads next is the latest, and stays so until it commits.
INSERT INTO background_job_limit (name, locked_at)
SELECT value, :now FROM json_each(:names) WHERE true ORDER BY value
ON CONFLICT (name) DO UPDATE SET locked_at = excluded.locked_at
