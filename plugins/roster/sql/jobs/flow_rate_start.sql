-- A claim's starts of a rate key, recorded in the claim's transaction (under the key's lock row).
INSERT INTO background_job_start (rate_key, started_at, starts) VALUES (:rate_key, :now, :starts)
