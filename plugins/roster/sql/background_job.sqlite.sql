-- The job table, SQLite flavour (the embedded default). Datetimes are 'YYYY-MM-DD HH:MM:SS.ffffff' UTC text.
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
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    claim_id INTEGER NULL,
    lease_renewed_at TEXT NULL,
    concurrency_key TEXT NULL,
    concurrency_limit INTEGER NULL,
    rate_key TEXT NULL,
    rate_limit TEXT NULL,
    batch_id INTEGER NULL,
    concurrency_state INTEGER GENERATED ALWAYS AS (CASE WHEN concurrency_key IS NULL THEN NULL ELSE state END) VIRTUAL,
    batch_state INTEGER GENERATED ALWAYS AS (CASE WHEN batch_id IS NULL THEN NULL ELSE state END) VIRTUAL,
    updated_at TEXT NOT NULL DEFAULT '1970-01-01 00:00:00.000000'
);
CREATE UNIQUE INDEX IF NOT EXISTS uniq_background_job_unique_key ON background_job (unique_key);
CREATE INDEX IF NOT EXISTS idx_background_job_claim ON background_job (queue, state, priority, id);
CREATE INDEX IF NOT EXISTS idx_background_job_serial_group ON background_job (serial_group, state);
CREATE INDEX IF NOT EXISTS idx_background_job_identifier ON background_job (identifier);
CREATE INDEX IF NOT EXISTS idx_background_job_due ON background_job (state, available_at);
CREATE INDEX IF NOT EXISTS idx_background_job_lease ON background_job (state, locked_until);
CREATE INDEX IF NOT EXISTS idx_background_job_finished ON background_job (state, finished_at);
CREATE INDEX IF NOT EXISTS idx_background_job_attempted ON background_job (queue, state, last_attempt_at);
-- Partial: a plain job (no key, no batch) is in neither, so its claim and outcome do not touch them.
CREATE INDEX IF NOT EXISTS idx_background_job_concurrency_state ON background_job (concurrency_key, concurrency_state) WHERE concurrency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_background_job_batch_state ON background_job (batch_id, batch_state) WHERE batch_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS background_job_control (
    name TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS background_job_counter (
    name TEXT NOT NULL PRIMARY KEY,
    value INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS background_job_limit (
    name TEXT NOT NULL PRIMARY KEY,
    locked_at TEXT NULL
);

CREATE TABLE IF NOT EXISTS background_job_start (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rate_key TEXT NOT NULL,
    started_at TEXT NOT NULL,
    starts INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_background_job_start_key ON background_job_start (rate_key, started_at);

CREATE TABLE IF NOT EXISTS background_job_batch (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    queue TEXT NOT NULL,
    on_complete TEXT NULL,
    total INTEGER NOT NULL DEFAULT 0,
    finished INTEGER NULL,
    failed INTEGER NULL,
    cancelled INTEGER NULL,
    created_at TEXT NOT NULL,
    sealed_at TEXT NULL,
    completed_at TEXT NULL,
    announced_at TEXT NULL
);
CREATE INDEX IF NOT EXISTS idx_background_job_batch_name ON background_job_batch (name);
CREATE INDEX IF NOT EXISTS idx_background_job_batch_open ON background_job_batch (queue, completed_at);

CREATE TABLE IF NOT EXISTS background_job_attempt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    claim_id INTEGER NULL,
    state INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    execution_time_ms INTEGER NULL,
    memory TEXT NULL,
    error_message TEXT NULL,
    traceback TEXT NULL,
    pid INTEGER NULL,
    hostname TEXT NULL,
    worker TEXT NULL
);
CREATE INDEX IF NOT EXISTS idx_background_job_attempt_job ON background_job_attempt (job_id, id);
CREATE INDEX IF NOT EXISTS idx_background_job_attempt_finished ON background_job_attempt (finished_at);

CREATE TABLE IF NOT EXISTS background_job_minute (
    queue TEXT NOT NULL,
    minute TEXT NOT NULL,
    lane TEXT NOT NULL,
    finished INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    ready INTEGER NULL,
    waiting INTEGER NULL,
    processing INTEGER NULL,
    latency_p50_ms INTEGER NULL,
    latency_p95_ms INTEGER NULL,
    PRIMARY KEY (queue, minute, lane)
);
