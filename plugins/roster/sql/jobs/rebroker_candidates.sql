-- The re-broker's next batch: BACK_TO_BROKER (-1) and BROKER_FAILED (8) jobs, most urgent first.
SELECT id FROM background_job
WHERE queue = :queue AND state IN (-1, 8)
ORDER BY priority, id LIMIT :batch
