-- One batch: what its completion needs.
SELECT id, name, queue, on_complete, total FROM background_job_batch WHERE id = :id
