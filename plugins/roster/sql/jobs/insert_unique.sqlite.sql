-- A unique job: the unique index on unique_key decides which of concurrent publishers wins (0 rows: lost).
INSERT INTO background_job (queue, priority, callback_name, parameters, state, created_at, available_at,
                            serial_group, identifier, unique_key, updated_at)
VALUES (:queue, :priority, :callback_name, :parameters, :state, :created_at, :available_at,
        :serial_group, :identifier, :unique_key, :updated_at)
ON CONFLICT (unique_key) DO NOTHING
