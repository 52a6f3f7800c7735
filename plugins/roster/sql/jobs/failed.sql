-- The PERMANENTLY_FAILED (5) jobs of a queue: every one (every_id = 1) or those of :ids.
SELECT id, callback_name, parameters, number_of_attempts, error_message, last_attempt_at, serial_group, identifier
FROM background_job WHERE queue = :queue AND state = 5 AND (:every_id = 1 OR id IN :ids) ORDER BY id
