-- The loser of a unique race, kept visibly: REDUNDANT (7), without the key, finished when published.
INSERT INTO background_job (queue, priority, callback_name, parameters, state, created_at, available_at,
                            serial_group, identifier, unique_key, updated_at, finished_at, concurrency_key, concurrency_limit, rate_key, rate_limit, batch_id)
VALUES (:queue, :priority, :callback_name, :parameters, 7, :created_at, :available_at,
        :serial_group, :identifier, NULL, :updated_at, :created_at, :concurrency_key, :concurrency_limit, :rate_key, :rate_limit, :batch_id)
