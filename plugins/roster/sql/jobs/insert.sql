-- Publish one job (states: READY 1, REDUNDANT 7). A unique job carries unique_key = queue + 0x1f + identifier.
INSERT INTO background_job (queue, priority, callback_name, parameters, state, created_at, available_at,
                            serial_group, identifier, unique_key, updated_at, concurrency_key, concurrency_limit, rate_key, rate_limit, batch_id)
VALUES (:queue, :priority, :callback_name, :parameters, :state, :created_at, :available_at,
        :serial_group, :identifier, :unique_key, :updated_at, :concurrency_key, :concurrency_limit, :rate_key, :rate_limit, :batch_id)
