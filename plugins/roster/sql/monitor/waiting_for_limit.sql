-- READY (1) jobs held back by flow control, apart from those ready to run: their key at its concurrency limit, or
-- deferred by their rate limit (due later).
SELECT COUNT(*) FROM background_job j
WHERE j.queue = :queue AND j.state = 1 AND (
      (j.rate_key IS NOT NULL AND j.available_at > :now)
   OR (j.concurrency_key IS NOT NULL AND j.available_at <= :now AND j.concurrency_limit <= (
        SELECT COUNT(*) FROM background_job c WHERE c.concurrency_key = j.concurrency_key AND c.state = 2)))
