-- Completed batches of the queue whose Asset event is still to be emitted.
SELECT id, name FROM background_job_batch WHERE queue = :queue AND completed_at IS NOT NULL AND announced_at IS NULL
ORDER BY id
