-- The state of each of these jobs, any queue (ids not in the table are absent): primary-key look-ups.
SELECT id, state FROM background_job WHERE id IN :ids
