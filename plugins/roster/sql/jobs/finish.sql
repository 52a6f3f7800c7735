-- The FINISHED (3) jobs of a batch in one statement, each with its own execution time, memory and metadata,
-- given as one JSON array of [id, claim_id, ms, memory, metadata]; only jobs still PROCESSING (2) under our claim:
-- a job rescued meanwhile (and perhaps claimed again) keeps the newest claim's record.
UPDATE background_job j
JOIN JSON_TABLE(:rows, '$[*]' COLUMNS (
    id BIGINT UNSIGNED PATH '$[0]', claim BIGINT PATH '$[1]', ms INT UNSIGNED PATH '$[2]',
    memory LONGTEXT PATH '$[3]', metadata LONGTEXT PATH '$[4]')) AS v ON v.id = j.id
SET j.state = 3, j.execution_time_ms = v.ms, j.memory = v.memory, j.metadata = v.metadata,
    j.finished_at = :now, j.updated_at = :now, j.locked_until = NULL, j.error_message = NULL
WHERE j.state = 2 AND j.claim_id = v.claim
