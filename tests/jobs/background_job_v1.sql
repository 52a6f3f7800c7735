-- The job table as roster 0.1 made it (its first release), for tests/jobs/test_migrate.py: an older table to upgrade.
-- an older table lacks: keep one column or index per line.
CREATE TABLE IF NOT EXISTS background_job (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    queue VARCHAR(191) NOT NULL DEFAULT 'default',
    priority INT NOT NULL DEFAULT 100,
    callback_name VARCHAR(191) NOT NULL DEFAULT '',
    parameters JSON NOT NULL DEFAULT ('{}'),
    state TINYINT NOT NULL DEFAULT 1,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    available_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    last_attempt_at DATETIME(6) NULL,
    number_of_attempts INT UNSIGNED NOT NULL DEFAULT 0,
    error_message TEXT NULL,
    serial_group VARCHAR(191) NULL,
    identifier VARCHAR(191) NULL,
    unique_key VARCHAR(255) NULL,
    processed_by_broker TINYINT(1) NOT NULL DEFAULT 0,
    execution_time_ms INT UNSIGNED NULL,
    finished_at DATETIME(6) NULL,
    pid INT UNSIGNED NULL,
    hostname VARCHAR(255) NULL,
    worker VARCHAR(255) NULL,
    memory JSON NULL,
    metadata JSON NULL,
    locked_until DATETIME(6) NULL,
    updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    -- At most one row holds a unique job's key: concurrent publishers race on this index, not on a SELECT.
    UNIQUE KEY uniq_background_job_unique_key (unique_key),
    -- The claim: equality on queue and state, range on priority, ORDER BY priority, id: read in index order.
    KEY idx_background_job_claim (queue, state, priority, id),
    KEY idx_background_job_serial_group (serial_group, state),
    KEY idx_background_job_identifier (identifier),
    KEY idx_background_job_due (state, available_at),
    KEY idx_background_job_lease (state, locked_until),
    KEY idx_background_job_finished (state, finished_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS background_job_control (
    name VARCHAR(64) NOT NULL PRIMARY KEY,
    value DATETIME(6) NOT NULL
) ENGINE=InnoDB;
