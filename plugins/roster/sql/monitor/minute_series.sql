-- The charts' rows since :since, oldest first: a range of the primary key (queue, minute, lane).
SELECT minute, lane, finished, failed, ready, waiting, processing, latency_p50_ms, latency_p95_ms
FROM background_job_minute WHERE queue = :queue AND minute >= :since
ORDER BY minute
