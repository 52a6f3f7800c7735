-- PROCESSING (2) jobs per concurrency key, read under the keys' lock rows: one short index range per key.
SELECT concurrency_key, COUNT(*) FROM background_job WHERE concurrency_key IN :keys AND state = 2
GROUP BY concurrency_key
