-- Progress per batch, newest first (roster jobs batches, the Roster page): its jobs per outcome, counted live. The
-- newest :limit batches are picked first (primary key, backwards), then only their jobs are counted, index only
-- (batch_state is the job's state where it has a batch).
SELECT b.id, b.name, b.on_complete, b.total, b.created_at, b.sealed_at, b.completed_at, b.announced_at,
       COALESCE(SUM(j.batch_state = 3), 0), COALESCE(SUM(j.batch_state = 5), 0),
       COALESCE(SUM(j.batch_state IN (7, 9)), 0), COALESCE(SUM(j.batch_state IN (-1, 1, 2, 4, 6, 8)), 0)
FROM (SELECT id, name, on_complete, total, created_at, sealed_at, completed_at, announced_at
      FROM background_job_batch WHERE queue = :queue ORDER BY id DESC LIMIT :limit) b
LEFT JOIN background_job j ON j.batch_id = b.id
GROUP BY b.id, b.name, b.on_complete, b.total, b.created_at, b.sealed_at, b.completed_at, b.announced_at
ORDER BY b.id DESC
