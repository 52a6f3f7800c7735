-- The most urgent jobs waiting to run (READY 1, TEMPORARILY_FAILED 4, WAITING 6), in claim order (priority, id),
-- at most the limit: the page's list of jobs one may cancel. One branch per state, each read in order from the claim
-- index (queue, state, priority, id) and stopped at the limit; an IN list over the states could not use the
-- index's order and would sort every waiting job.
SELECT * FROM (
    SELECT id, state, priority, callback_name, parameters, identifier, available_at, number_of_attempts, error_message
    FROM background_job WHERE queue = :queue AND state = 1 ORDER BY priority, id LIMIT :limit) AS ready
UNION ALL
SELECT * FROM (
    SELECT id, state, priority, callback_name, parameters, identifier, available_at, number_of_attempts, error_message
    FROM background_job WHERE queue = :queue AND state = 4 ORDER BY priority, id LIMIT :limit) AS retrying
UNION ALL
SELECT * FROM (
    SELECT id, state, priority, callback_name, parameters, identifier, available_at, number_of_attempts, error_message
    FROM background_job WHERE queue = :queue AND state = 6 ORDER BY priority, id LIMIT :limit) AS waiting
ORDER BY priority, id
LIMIT :limit
