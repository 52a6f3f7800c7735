-- Minutes older than the charts show (two days) go.
DELETE FROM background_job_minute WHERE queue = :queue AND minute < :before
