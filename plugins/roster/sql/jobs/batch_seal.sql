-- The publishing block ended (in the transaction of its bulk insert): the batch is whole, its size known.
UPDATE background_job_batch SET sealed_at = :now, total = (SELECT COUNT(*) FROM background_job WHERE batch_id = :id)
WHERE id = :id
