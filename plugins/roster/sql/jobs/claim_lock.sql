-- Lock the first candidates nobody else has locked, still READY (1). The candidates are several batches deep,
-- so consumers that read the same candidates still each find rows to lock.
SELECT id, callback_name, parameters, number_of_attempts, priority, serial_group, identifier, batch_id, rate_key
FROM background_job WHERE id IN :ids AND state = 1
ORDER BY priority, id
LIMIT :batch
FOR UPDATE SKIP LOCKED
