-- Take the announcement of a completed batch: of tasks racing, one changes the row and emits its Asset event.
UPDATE background_job_batch SET announced_at = :now WHERE id = :id AND announced_at IS NULL
