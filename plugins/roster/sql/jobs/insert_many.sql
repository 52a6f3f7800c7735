-- A bulk publish: many READY jobs in one statement, their rows given as one JSON array of
-- [queue, priority, callback_name, parameters, available_at, serial_group, identifier, concurrency_key,
-- concurrency_limit, rate_key, rate_limit, batch_id] (one escaped parameter instead of twelve per row; a plain job's
-- row stops after identifier, and a missing element reads as NULL). The lines ending in "-- flow" are left out for a
-- chunk of plain jobs (roster.jobs.publisher.insert_many_sql): the server then reads no flow field of any row.
-- InnoDB gives the rows of one INSERT ... SELECT consecutive ids (innodb_autoinc_lock_mode 0 or 1, MariaDB's
-- default), so the ids are lastrowid onwards.
INSERT INTO background_job (queue, priority, callback_name, parameters, state, created_at, available_at,
                            serial_group, identifier, updated_at
                            , concurrency_key, concurrency_limit, rate_key, rate_limit, batch_id -- flow
                            )
SELECT r.queue, r.priority, r.callback_name, r.parameters, 1, :now, COALESCE(r.available_at, :now),
       r.serial_group, r.identifier, :now
       , r.concurrency_key, r.concurrency_limit, r.rate_key, r.rate_limit, r.batch_id -- flow
FROM JSON_TABLE(:rows, '$[*]' COLUMNS (
    n FOR ORDINALITY,
    queue VARCHAR(191) PATH '$[0]',
    priority INT PATH '$[1]',
    callback_name VARCHAR(191) PATH '$[2]',
    parameters LONGTEXT PATH '$[3]',
    available_at VARCHAR(32) PATH '$[4]',
    serial_group VARCHAR(191) PATH '$[5]',
    identifier VARCHAR(191) PATH '$[6]'
    , concurrency_key VARCHAR(191) PATH '$[7]' -- flow
    , concurrency_limit INT PATH '$[8]' -- flow
    , rate_key VARCHAR(255) PATH '$[9]' -- flow
    , rate_limit VARCHAR(32) PATH '$[10]' -- flow
    , batch_id BIGINT PATH '$[11]' -- flow
    )) AS r
ORDER BY r.n
