-- The lease thread: jobs a live consumer still runs (PROCESSING 2 under its claim) keep their lease.
UPDATE background_job SET locked_until = :locked_until, lease_renewed_at = :now
WHERE id IN :ids AND state = 2 AND claim_id = :claim_id
