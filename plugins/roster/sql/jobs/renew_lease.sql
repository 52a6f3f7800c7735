-- The lease thread: jobs a live consumer still runs (PROCESSING 2) keep their lease.
UPDATE background_job SET locked_until = :locked_until
WHERE id IN :ids AND state = 2
