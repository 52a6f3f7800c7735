-- Cancel running jobs (PROCESSING 2): flag them; the callback can see it (current_job().cancel_requested), and
-- a run that does not end FINISHED ends CANCELLED (fail, release, rescue).
UPDATE background_job SET cancel_requested = 1, updated_at = :now
WHERE state = 2 AND cancel_requested = 0 AND (id IN :ids OR (queue = :queue AND identifier = :identifier))
