-- The cleaner: one small batch of FINISHED (3), REDUNDANT (7) and CANCELLED (9) jobs finished before :before
-- (short locks; called until a batch comes back short).
DELETE FROM background_job
WHERE id IN (SELECT id FROM (
    SELECT id FROM background_job
    WHERE queue = :queue AND state IN (3, 7, 9) AND finished_at < :before
    ORDER BY id LIMIT :batch) AS doomed)
