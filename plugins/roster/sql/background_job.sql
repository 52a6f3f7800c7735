-- The job table (MySQL 8 / MariaDB >= 10.6). `roster jobs update-schema` adds any column or index listed here that
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
    cancel_requested TINYINT(1) NOT NULL DEFAULT 0,
    -- The claim's identity (random, one per claim): a consumer's outcome, lease renewal or release matches it, so
    -- the write of a consumer whose job was rescued and claimed again changes nothing (the newest claim's record).
    claim_id BIGINT NULL,
    -- The claim's heartbeat: when its lease was last renewed (the operator sees a consumer late renewing).
    lease_renewed_at DATETIME(6) NULL,
    -- Flow control (roster.jobs.flow): at most concurrency_limit PROCESSING jobs per concurrency_key; starts of a
    -- rate_key at most rate_limit ('100/60s') in any window; the batch the job belongs to (background_job_batch).
    concurrency_key VARCHAR(191) NULL,
    concurrency_limit INT NULL,
    rate_key VARCHAR(255) NULL,
    rate_limit VARCHAR(32) NULL,
    batch_id BIGINT NULL,
    -- The job's state where it has a concurrency key (a batch), NULL where it has none: computed, never stored, so
    -- a plain job's claim and outcome leave the two indexes below as they are (a state of its own would move an
    -- entry in each, on every job; the cost measured in docs/flow-control.md).
    concurrency_state TINYINT AS (IF(concurrency_key IS NULL, NULL, state)) VIRTUAL,
    batch_state TINYINT AS (IF(batch_id IS NULL, NULL, state)) VIRTUAL,
    updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    -- At most one row holds a unique job's key: concurrent publishers race on this index, not on a SELECT.
    UNIQUE KEY uniq_background_job_unique_key (unique_key),
    -- The claim: equality on queue and state, range on priority, ORDER BY priority, id: read in index order.
    KEY idx_background_job_claim (queue, state, priority, id),
    KEY idx_background_job_serial_group (serial_group, state),
    KEY idx_background_job_identifier (identifier),
    KEY idx_background_job_due (state, available_at),
    KEY idx_background_job_lease (state, locked_until),
    KEY idx_background_job_finished (state, finished_at),
    -- The failure rate (monitor/outcomes_since): a few short ranges of recent attempts per outcome, index only.
    KEY idx_background_job_attempted (queue, state, last_attempt_at),
    -- A key's PROCESSING jobs (the concurrency check), a batch's unfinished ones (its completion), index only.
    KEY idx_background_job_concurrency_state (concurrency_key, concurrency_state),
    KEY idx_background_job_batch_state (batch_id, batch_state)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS background_job_control (
    name VARCHAR(64) NOT NULL PRIMARY KEY,
    value DATETIME(6) NOT NULL
) ENGINE=InnoDB;

-- Counters of rare events, kept for the operator (roster jobs stats, the Roster page): `superseded` counts outcomes
-- of stale claims that were discarded.
CREATE TABLE IF NOT EXISTS background_job_counter (
    name VARCHAR(64) NOT NULL PRIMARY KEY,
    value BIGINT NOT NULL DEFAULT 0
) ENGINE=InnoDB;

-- One row per flow-control key (concurrency, rate, unique-by-period): the row a claim or a publish locks so that
-- concurrent consumers (publishers) of one key take turns; `locked_at` is the last time one did.
CREATE TABLE IF NOT EXISTS background_job_limit (
    name VARCHAR(255) NOT NULL PRIMARY KEY,
    locked_at DATETIME(6) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Starts of rate-limited jobs: one row per claim and rate key, `starts` jobs at `started_at` (pruned past the window).
CREATE TABLE IF NOT EXISTS background_job_start (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    rate_key VARCHAR(255) NOT NULL,
    started_at DATETIME(6) NOT NULL,
    starts INT NOT NULL,
    KEY idx_background_job_start_key (rate_key, started_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Batches (queue.batch): sealed when the publishing block ends; completed once, by the conditional UPDATE that
-- finds none of its jobs unfinished (it then publishes on_complete); announced once as an Airflow Asset event.
CREATE TABLE IF NOT EXISTS background_job_batch (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(191) NOT NULL,
    queue VARCHAR(191) NOT NULL,
    on_complete VARCHAR(191) NULL,
    total INT NOT NULL DEFAULT 0,
    finished INT NULL,
    failed INT NULL,
    cancelled INT NULL,
    created_at DATETIME(6) NOT NULL,
    sealed_at DATETIME(6) NULL,
    completed_at DATETIME(6) NULL,
    announced_at DATETIME(6) NULL,
    KEY idx_background_job_batch_name (name),
    KEY idx_background_job_batch_open (queue, completed_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per failed attempt of a job (the job row keeps its latest attempt only): the job's story on the Roster
-- page, with the traceback and the worker (Airflow task instance) that ran it. Attempts that finish are not written
-- here (the job row holds the last one), so the claim's no-op path writes nothing more.
CREATE TABLE IF NOT EXISTS background_job_attempt (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    job_id BIGINT UNSIGNED NOT NULL,
    attempt INT UNSIGNED NOT NULL,
    claim_id BIGINT NULL,
    state TINYINT NOT NULL,
    started_at DATETIME(6) NOT NULL,
    finished_at DATETIME(6) NOT NULL,
    execution_time_ms INT UNSIGNED NULL,
    memory JSON NULL,
    error_message TEXT NULL,
    traceback MEDIUMTEXT NULL,
    pid INT UNSIGNED NULL,
    hostname VARCHAR(255) NULL,
    worker VARCHAR(255) NULL,
    KEY idx_background_job_attempt_job (job_id, id),
    KEY idx_background_job_attempt_finished (finished_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per queue, minute and lane (roster/pools.json): what the Roster page's charts read, a few thousand rows a
-- day however many jobs run. Written by the consumer tasks as each minute ends (roster.monitor.minutes): finished
-- and failed counts and the due -> start latency come from the job timestamps of that minute, the depth (ready,
-- waiting, processing) is what the table held when the row was written. Kept two days.
CREATE TABLE IF NOT EXISTS background_job_minute (
    queue VARCHAR(191) NOT NULL,
    minute DATETIME NOT NULL,
    lane VARCHAR(64) NOT NULL,
    finished INT UNSIGNED NOT NULL DEFAULT 0,
    failed INT UNSIGNED NOT NULL DEFAULT 0,
    ready INT UNSIGNED NULL,
    waiting INT UNSIGNED NULL,
    processing INT UNSIGNED NULL,
    latency_p50_ms BIGINT NULL,
    latency_p95_ms BIGINT NULL,
    PRIMARY KEY (queue, minute, lane)
) ENGINE=InnoDB;
