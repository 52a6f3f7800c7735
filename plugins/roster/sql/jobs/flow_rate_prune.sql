-- Starts of a rate key older than its window no longer count: delete them (under the key's lock row).
DELETE FROM background_job_start WHERE rate_key = :rate_key AND started_at <= :since
