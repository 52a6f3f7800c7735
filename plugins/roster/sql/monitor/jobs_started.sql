-- When the given jobs became due (publish time, or the delay's end): their publish-to-start latency.
SELECT id, available_at FROM background_job WHERE id IN :ids
