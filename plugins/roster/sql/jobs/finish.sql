-- The FINISHED (3) jobs of a batch in one statement, each with its own execution time, memory and metadata,
-- given as one JSON array of [id, ms, memory, metadata]; only jobs still PROCESSING (2), i.e. still ours.
UPDATE background_job j
JOIN JSON_TABLE(:rows, '$[*]' COLUMNS (
    id BIGINT UNSIGNED PATH '$[0]', ms INT UNSIGNED PATH '$[1]', memory LONGTEXT PATH '$[2]',
    metadata LONGTEXT PATH '$[3]')) AS v ON v.id = j.id
SET j.state = 3, j.execution_time_ms = v.ms, j.memory = v.memory, j.metadata = v.metadata,
    j.finished_at = :now, j.updated_at = :now, j.locked_until = NULL, j.error_message = NULL
WHERE j.state = 2
