-- A batch's jobs per state (its outcome counts), index only: batch_state is the job's state where it has a batch.
SELECT batch_state, COUNT(*) FROM background_job WHERE batch_id = :id GROUP BY batch_state
