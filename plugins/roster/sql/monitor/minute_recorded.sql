-- Minutes already written since :since (the primary key's range).
SELECT DISTINCT minute FROM background_job_minute WHERE queue = :queue AND minute >= :since
