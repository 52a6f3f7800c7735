-- A batch completes once: this conditional UPDATE, run after a job of it ended, matches only while none of its
-- jobs is unfinished (-1, 1, 2, 4, 6, 8) and it has not completed; of consumers racing, one changes the row.
UPDATE background_job_batch SET completed_at = :now
WHERE id = :id AND sealed_at IS NOT NULL AND completed_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM background_job WHERE batch_id = :id AND batch_state IN (-1, 1, 2, 4, 6, 8))
