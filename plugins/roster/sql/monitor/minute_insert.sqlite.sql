-- One lane's minute; the first consumer to write it wins (others computed the same).
INSERT OR IGNORE INTO background_job_minute (queue, minute, lane, finished, failed, ready, waiting, processing,
                                             latency_p50_ms, latency_p95_ms)
VALUES (:queue, :minute, :lane, :finished, :failed, :ready, :waiting, :processing, :p50, :p95)
