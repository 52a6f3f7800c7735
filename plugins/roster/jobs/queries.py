"""Every statement of the job queue, in one place. The claim, the unique insert and the rescue are the design.

Statements use ``:name`` parameters; :func:`for_dialect` turns them into the driver's own style, because the queue
runs on the raw DB-API cursor (one round trip per statement, no ORM in the hot path).
"""

from __future__ import annotations

import functools
import re

from roster.jobs.states import UNFINISHED, State

_UNFINISHED = ", ".join(str(int(s)) for s in sorted(UNFINISHED))

INSERT_COLUMNS = (
    "queue", "priority", "callback_name", "parameters", "state", "created_at", "available_at", "serial_group",
    "identifier", "unique_key", "updated_at",
)  # fmt: skip

# A unique job: the unique index on unique_key decides which of concurrent publishers wins; the others get a
# duplicate-key error (MySQL) or 0 rows (SQLite) and insert their job as REDUNDANT, without the key, so the attempt
# stays visible. (MySQL's ON DUPLICATE KEY UPDATE would deadlock between concurrent publishers of one key.)
INSERT_UNIQUE = {
    "mysql": f"INSERT INTO background_job ({', '.join(INSERT_COLUMNS)}) VALUES "
    f"({', '.join(':' + c for c in INSERT_COLUMNS)})",
    "sqlite": f"INSERT INTO background_job ({', '.join(INSERT_COLUMNS)}) VALUES "
    f"({', '.join(':' + c for c in INSERT_COLUMNS)}) ON CONFLICT (unique_key) DO NOTHING",
}

# Candidates of a claim: READY and due, in the lane's priority range, most urgent first then oldest; a job of a
# serial group only when nothing of its group is running and nothing earlier in its order is unfinished. A plain
# (non-locking) read: the rows are locked by CLAIM_LOCK, which re-checks the state.
CLAIM_CANDIDATES = f"""
SELECT j.id FROM background_job j
WHERE j.queue = :queue AND j.state = {State.READY:d} AND j.priority BETWEEN :low AND :high
  AND j.available_at <= :now {{only_ids}}
  AND (j.serial_group IS NULL OR NOT EXISTS (
        SELECT 1 FROM background_job g
        WHERE g.serial_group = j.serial_group AND g.queue = j.queue AND g.state IN ({_UNFINISHED})
          AND (g.state = {State.PROCESSING:d} OR g.priority < j.priority OR (g.priority = j.priority AND g.id < j.id))))
ORDER BY j.priority, j.id
LIMIT :batch
"""

# MySQL/MariaDB: lock the first candidates nobody else has locked, still READY. The candidates are several
# batches deep, so consumers that read the same candidates still each find rows to lock.
CLAIM_LOCK = f"""
SELECT id, callback_name, parameters, number_of_attempts, priority, serial_group, identifier
FROM background_job WHERE id IN :ids AND state = {State.READY:d}
ORDER BY priority, id
LIMIT :batch
FOR UPDATE SKIP LOCKED
"""

# The claim proper, a conditional UPDATE: PROCESSING with a lease, one more attempt, who runs it.
CLAIM_MARK = f"""
UPDATE background_job
SET state = {State.PROCESSING:d}, locked_until = :locked_until, last_attempt_at = :now, updated_at = :now,
    number_of_attempts = number_of_attempts + 1, pid = :pid, hostname = :hostname, worker = :worker,
    processed_by_broker = :by_broker
WHERE id IN :ids AND state = {State.READY:d}
"""

# SQLite: one statement claims (writers are serialised, so candidates and update are atomic).
CLAIM_SQLITE = CLAIM_MARK.replace("WHERE id IN :ids", "WHERE id IN ({candidates})") + (
    " RETURNING id, callback_name, parameters, number_of_attempts, priority, serial_group, identifier"
)

# The FINISHED jobs of a batch in one statement: each row gets its own execution time and memory.
FINISH_MYSQL = f"""
UPDATE background_job j JOIN ({{values}}) v ON v.id = j.id
SET j.state = {State.FINISHED:d}, j.execution_time_ms = v.ms, j.memory = v.memory, j.metadata = v.metadata,
    j.finished_at = :now, j.updated_at = :now, j.locked_until = NULL, j.error_message = NULL
WHERE j.state = {State.PROCESSING:d}
"""
FINISH_SQLITE = f"""
UPDATE background_job
SET state = {State.FINISHED:d}, execution_time_ms = v.ms, memory = v.memory, metadata = v.metadata,
    finished_at = :now, updated_at = :now, locked_until = NULL, error_message = NULL
FROM ({{values}}) AS v
WHERE v.id = background_job.id AND background_job.state = {State.PROCESSING:d}
"""

# Any other outcome of a run: one job, conditional on it still being ours.
FAIL = f"""
UPDATE background_job
SET state = :state, error_message = :error, available_at = :available_at, execution_time_ms = :ms,
    memory = :memory, number_of_attempts = number_of_attempts - :uncount, locked_until = NULL, updated_at = :now
WHERE id = :id AND state = {State.PROCESSING:d}
"""

RENEW_LEASE = f"""
UPDATE background_job SET locked_until = :locked_until
WHERE id IN :ids AND state = {State.PROCESSING:d}
"""

# A graceful stop hands back jobs claimed but not started: READY again, the claim's attempt not counted.
RELEASE = f"""
UPDATE background_job
SET state = {State.READY:d}, number_of_attempts = number_of_attempts - 1, locked_until = NULL, updated_at = :now
WHERE id IN :ids AND state = {State.PROCESSING:d}
"""

# Retries and waits that are due become READY again: only READY jobs are ever claimed.
PROMOTE_DUE = f"""
UPDATE background_job SET state = {State.READY:d}, updated_at = :now
WHERE state IN ({State.TEMPORARILY_FAILED:d}, {State.WAITING:d}) AND available_at <= :now AND queue = :queue
"""

# The rescuer: PROCESSING past its lease means its consumer died (its pid, hostname and worker stay on the row).
# Back to READY, or failed for good once it used max_attempts.
RESCUE_FAIL = f"""
UPDATE background_job
SET state = {State.PERMANENTLY_FAILED:d}, locked_until = NULL, updated_at = :now, error_message = :reason
WHERE queue = :queue AND state = {State.PROCESSING:d} AND locked_until < :now AND number_of_attempts >= :max_attempts
"""
RESCUE_RETRY = f"""
UPDATE background_job
SET state = {State.READY:d}, locked_until = NULL, updated_at = :now, error_message = :reason
WHERE queue = :queue AND state = {State.PROCESSING:d} AND locked_until < :now
"""

CLEAR_FINISHED_BATCH = f"""
DELETE FROM background_job
WHERE id IN (SELECT id FROM (
    SELECT id FROM background_job
    WHERE queue = :queue AND state IN ({State.FINISHED:d}, {State.REDUNDANT:d}) AND finished_at < :before
    ORDER BY id LIMIT :batch) AS doomed)
"""

REDUNDANT_AT_PUBLISH = "UPDATE background_job SET finished_at = created_at WHERE id = :id"

STATS = """
SELECT queue, state, priority, COUNT(*), MIN(CASE WHEN state = 1 AND available_at <= :now THEN available_at END)
FROM background_job GROUP BY queue, state, priority
"""

# Jobs a lane's consumer would claim now (READY, or a retry or wait that is due): what JobQueueSensor waits for.
READY_COUNT = f"""
SELECT COUNT(*) FROM background_job
WHERE queue = :queue AND state IN ({State.READY:d}, {State.TEMPORARILY_FAILED:d}, {State.WAITING:d})
  AND available_at <= :now AND priority BETWEEN :low AND :high
"""

UNFINISHED_IDENTIFIERS = f"""
SELECT DISTINCT identifier FROM background_job
WHERE queue = :queue AND identifier IN :identifiers AND state IN ({_UNFINISHED})
"""

REBROKER_CANDIDATES = f"""
SELECT id FROM background_job
WHERE queue = :queue AND state IN ({State.BACK_TO_BROKER:d}, {State.BROKER_FAILED:d})
ORDER BY priority, id LIMIT :batch
"""
MARK_STATE = "UPDATE background_job SET state = :to_state, updated_at = :now WHERE id IN :ids AND state IN :from_states"

FAILED = f"""
SELECT id, callback_name, parameters, number_of_attempts, error_message, last_attempt_at, serial_group, identifier
FROM background_job WHERE queue = :queue AND state = {State.PERMANENTLY_FAILED:d} {{only_ids}} ORDER BY id
"""
RETRY_FAILED = f"""
UPDATE background_job
SET state = {State.READY:d}, number_of_attempts = 0, available_at = :now, updated_at = :now, error_message = NULL
WHERE queue = :queue AND state = {State.PERMANENTLY_FAILED:d} {{only_ids}}
"""
REMOVE_FAILED = f"DELETE FROM background_job WHERE queue = :queue AND state = {State.PERMANENTLY_FAILED:d} {{only_ids}}"

CONTROL_SET = {
    "mysql": "INSERT INTO background_job_control (name, value) VALUES (:name, :value) "
    "ON DUPLICATE KEY UPDATE value = VALUES(value)",
    "sqlite": "INSERT INTO background_job_control (name, value) VALUES (:name, :value) "
    "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
}
CONTROL_GET = "SELECT value FROM background_job_control WHERE name = :name"

_PARAM = re.compile(r"(?<![\w:]):([a-z_][a-z0-9_]*)\b")


@functools.lru_cache(maxsize=256)
def for_dialect(sql: str, dialect: str) -> str:
    """``:name`` -> ``%(name)s`` for mysqlclient (which then needs literal ``%`` doubled); SQLite takes ``:name``."""
    if dialect == "sqlite":
        return sql
    return _PARAM.sub(lambda m: f"%({m.group(1)})s", sql.replace("%", "%%"))


def expand(sql: str, params: dict) -> tuple[str, dict]:
    """Expand ``IN :ids`` list parameters into ``IN (:ids_0, :ids_1, ...)``."""
    out = dict(params)
    for name, value in params.items():
        if isinstance(value, (list, tuple, set, frozenset)):
            values = list(value)
            if not values:
                raise ValueError(f"empty list for :{name}")
            del out[name]
            keys = [f"{name}_{i}" for i in range(len(values))]
            out.update(zip(keys, values))
            sql = re.sub(rf"(?<![\w:]):{name}\b", "(" + ", ".join(":" + k for k in keys) + ")", sql)
    return sql, out
