-- An operator's removal of PERMANENTLY_FAILED (5) jobs.
DELETE FROM background_job WHERE queue = :queue AND state = 5 AND (:every_id = 1 OR id IN :ids)
