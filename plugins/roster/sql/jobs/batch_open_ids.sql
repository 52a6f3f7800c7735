-- Sealed batches of the queue not completed yet: the sweep completes those whose last job ended without a check
-- (a consumer killed between its outcome and the check, a cancel, the rescuer).
SELECT id FROM background_job_batch WHERE queue = :queue AND completed_at IS NULL AND sealed_at IS NOT NULL
