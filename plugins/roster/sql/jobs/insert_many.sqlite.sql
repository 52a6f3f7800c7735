-- A bulk publish: many READY jobs in one statement, their rows given as one JSON array of
-- [queue, priority, callback_name, parameters, available_at, serial_group, identifier, concurrency_key,
-- concurrency_limit, rate_key, rate_limit, batch_id]. The lines ending in "-- flow" are left out for a chunk of
-- plain jobs (roster.jobs.publisher.insert_many_sql).
INSERT INTO background_job (queue, priority, callback_name, parameters, state, created_at, available_at,
                            serial_group, identifier, updated_at
                            , concurrency_key, concurrency_limit, rate_key, rate_limit, batch_id -- flow
                            )
SELECT r.value ->> 0, r.value ->> 1, r.value ->> 2, r.value ->> 3, 1, :now, COALESCE(r.value ->> 4, :now),
       r.value ->> 5, r.value ->> 6, :now
       , r.value ->> 7, r.value ->> 8, r.value ->> 9, r.value ->> 10, r.value ->> 11 -- flow
FROM json_each(:rows) AS r
ORDER BY r.key
RETURNING id
