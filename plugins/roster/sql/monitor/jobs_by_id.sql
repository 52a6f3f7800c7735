-- The page's columns of these jobs (a page of a filter's matches): primary-key look-ups.
SELECT id, state, priority, callback_name, identifier, serial_group, created_at, last_attempt_at,
       number_of_attempts, error_message
FROM background_job WHERE id IN :ids
ORDER BY id DESC
