-- A new batch (queue.batch): open until the publishing block ends (sealed_at), so it never completes half published.
INSERT INTO background_job_batch (name, queue, on_complete, created_at) VALUES (:name, :queue, :on_complete, :now)
