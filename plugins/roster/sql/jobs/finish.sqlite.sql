-- The FINISHED (3) jobs of a batch in one statement, given as one JSON array of [id, claim_id, ms, memory,
-- metadata]; only jobs still PROCESSING (2) under our claim.
UPDATE background_job
SET state = 3, execution_time_ms = v.ms, memory = v.memory, metadata = v.metadata,
    finished_at = :now, updated_at = :now, locked_until = NULL, error_message = NULL
FROM (SELECT value ->> 0 AS id, value ->> 1 AS claim, value ->> 2 AS ms, value ->> 3 AS memory,
             value ->> 4 AS metadata
      FROM json_each(:rows)) AS v
WHERE v.id = background_job.id AND background_job.state = 2 AND background_job.claim_id = v.claim
