-- A bulk publish of plain jobs (insert_many_flow.sql takes those with flow-control or batch fields): many READY
-- jobs in one statement, their rows given as one JSON array of
-- [queue, priority, callback_name, parameters, available_at, serial_group, identifier].
INSERT INTO background_job (queue, priority, callback_name, parameters, state, created_at, available_at,
                            serial_group, identifier, updated_at)
SELECT r.value ->> 0, r.value ->> 1, r.value ->> 2, r.value ->> 3, 1, :now, COALESCE(r.value ->> 4, :now),
       r.value ->> 5, r.value ->> 6, :now
FROM json_each(:rows) AS r
ORDER BY r.key
RETURNING id
