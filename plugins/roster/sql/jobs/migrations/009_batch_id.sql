-- adds column batch_id
-- The batch a job belongs to (background_job_batch; roster.jobs.batches).
ALTER TABLE background_job ADD COLUMN batch_id BIGINT NULL
