-- Which identifiers still have a job to come (-1, 1, 2, 4, 6, 8: not FINISHED, REDUNDANT, PERMANENTLY_FAILED
-- or CANCELLED).
SELECT DISTINCT identifier FROM background_job
WHERE queue = :queue AND identifier IN :identifiers AND state IN (-1, 1, 2, 4, 6, 8)
