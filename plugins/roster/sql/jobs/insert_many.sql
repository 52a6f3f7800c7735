-- A bulk publish of plain jobs (insert_many_flow.sql takes those with flow-control or batch fields): many READY
-- jobs in one statement, their rows given as one JSON array of
-- [queue, priority, callback_name, parameters, available_at, serial_group, identifier] (one escaped parameter
-- instead of eleven per row). InnoDB gives the rows of one INSERT ... SELECT consecutive ids
-- (innodb_autoinc_lock_mode 0 or 1, MariaDB's default), so the ids are lastrowid onwards.
INSERT INTO background_job (queue, priority, callback_name, parameters, state, created_at, available_at,
                            serial_group, identifier, updated_at)
SELECT r.queue, r.priority, r.callback_name, r.parameters, 1, :now, COALESCE(r.available_at, :now),
       r.serial_group, r.identifier, :now
FROM JSON_TABLE(:rows, '$[*]' COLUMNS (
    n FOR ORDINALITY,
    queue VARCHAR(191) PATH '$[0]',
    priority INT PATH '$[1]',
    callback_name VARCHAR(191) PATH '$[2]',
    parameters LONGTEXT PATH '$[3]',
    available_at VARCHAR(32) PATH '$[4]',
    serial_group VARCHAR(191) PATH '$[5]',
    identifier VARCHAR(191) PATH '$[6]')) AS r
ORDER BY r.n
