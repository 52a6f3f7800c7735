-- A unique job: the unique index on unique_key decides which of concurrent publishers wins; the losers get a
-- duplicate-key error (MySQL) or 0 rows (SQLite) and insert their job as REDUNDANT. (ON DUPLICATE KEY UPDATE would
-- deadlock between concurrent publishers of one key.)
INSERT INTO background_job (queue, priority, callback_name, parameters, state, created_at, available_at,
                            serial_group, identifier, unique_key, updated_at, concurrency_key, concurrency_limit, rate_key, rate_limit, batch_id)
VALUES (:queue, :priority, :callback_name, :parameters, :state, :created_at, :available_at,
        :serial_group, :identifier, :unique_key, :updated_at, :concurrency_key, :concurrency_limit, :rate_key, :rate_limit, :batch_id)
