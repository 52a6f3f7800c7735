-- One job, every column the story shows: a primary-key read.
SELECT id, queue, priority, callback_name, parameters, state, created_at, available_at, last_attempt_at,
       number_of_attempts, error_message, serial_group, identifier, processed_by_broker, execution_time_ms,
       finished_at, pid, hostname, worker, memory, metadata, locked_until, cancel_requested, claim_id
FROM background_job WHERE id = :id
