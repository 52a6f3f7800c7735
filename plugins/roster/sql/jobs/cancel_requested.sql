-- What current_job().cancel_requested reads: one primary-key look-up.
SELECT cancel_requested FROM background_job WHERE id = :id
