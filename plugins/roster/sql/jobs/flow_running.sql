-- PROCESSING (2) jobs per concurrency key, read under the keys' lock rows: one short index range per key (the
-- computed concurrency_state is the job's state where it has a key).
SELECT concurrency_key, COUNT(*) FROM background_job WHERE concurrency_key IN :keys AND concurrency_state = 2
GROUP BY concurrency_key
