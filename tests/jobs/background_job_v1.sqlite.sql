-- The job table as roster 0.1 made it (its first release), for tests/jobs/test_migrate.py: an older table to upgrade.
CREATE TABLE IF NOT EXISTS background_job (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL DEFAULT 'default',
    priority INTEGER NOT NULL DEFAULT 100,
    callback_name TEXT NOT NULL DEFAULT '',
    parameters TEXT NOT NULL DEFAULT '{}',
    state INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL DEFAULT '1970-01-01 00:00:00.000000',
    available_at TEXT NOT NULL DEFAULT '1970-01-01 00:00:00.000000',
    last_attempt_at TEXT NULL,
    number_of_attempts INTEGER NOT NULL DEFAULT 0,
    error_message TEXT NULL,
    serial_group TEXT NULL,
    identifier TEXT NULL,
    unique_key TEXT NULL,
    processed_by_broker INTEGER NOT NULL DEFAULT 0,
    execution_time_ms INTEGER NULL,
    finished_at TEXT NULL,
    pid INTEGER NULL,
    hostname TEXT NULL,
    worker TEXT NULL,
    memory TEXT NULL,
    metadata TEXT NULL,
    locked_until TEXT NULL,
    updated_at TEXT NOT NULL DEFAULT '1970-01-01 00:00:00.000000'
);
CREATE UNIQUE INDEX IF NOT EXISTS uniq_background_job_unique_key ON background_job (unique_key);
CREATE INDEX IF NOT EXISTS idx_background_job_claim ON background_job (queue, state, priority, id);
CREATE INDEX IF NOT EXISTS idx_background_job_serial_group ON background_job (serial_group, state);
CREATE INDEX IF NOT EXISTS idx_background_job_identifier ON background_job (identifier);
CREATE INDEX IF NOT EXISTS idx_background_job_due ON background_job (state, available_at);
CREATE INDEX IF NOT EXISTS idx_background_job_lease ON background_job (state, locked_until);
CREATE INDEX IF NOT EXISTS idx_background_job_finished ON background_job (state, finished_at);

CREATE TABLE IF NOT EXISTS background_job_control (
    name TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);
