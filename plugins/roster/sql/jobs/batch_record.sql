-- The outcome counts of a batch that just completed, kept on its row.
UPDATE background_job_batch SET finished = :finished, failed = :failed, cancelled = :cancelled WHERE id = :id
