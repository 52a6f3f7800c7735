"""JobQueue: publish, claim and process jobs on the ``background_job`` table; maintenance; statistics.

The hot path runs on the raw DB-API cursor with the statements of :mod:`roster.jobs.queries`. Times are UTC from
the publishing or consuming process (keep hosts on NTP): the same statements then run on MySQL/MariaDB and SQLite.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import orjson
import psutil
import resource

from roster import settings
from roster.connections import engine_for
from roster.db import is_mysql, run_script, unavailable
from roster.errors import InvalidOptionError
from roster.jobs import queries as q
from roster.jobs import limits, registry
from roster.jobs.errors import DieError, JobParametersError, PermanentError, SkipJob, WaitingError
from roster.jobs.lanes import parse_priorities
from roster.jobs.lanes_config import lanes
from roster.jobs.states import FINISHED_STATES, UNFINISHED, State

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from roster.jobs.broker import Broker

log = logging.getLogger("roster.jobs")

# Jobs claimed per round trip, adapted to the jobs' speed: a claim costs a few statements and a commit, so fast
# jobs are claimed many at once (up to MAX_CLAIM_BATCH); but a consumer should not sit on more than about
# TARGET_BATCH_SECONDS of work that other consumers of the lane could be doing, nor make a newly published urgent
# job wait behind a long batch, so slow jobs are claimed one at a time. The first claim takes DEFAULT_CLAIM_BATCH.
DEFAULT_CLAIM_BATCH = 10
MAX_CLAIM_BATCH = 100
TARGET_BATCH_SECONDS = 1.0
# How often an idle consumer (process(idle_wait=...)) looks for new jobs: one indexed read each time.
IDLE_POLL_SECONDS = 0.25
PROMOTE_EVERY_SECONDS = 1.0
PUBLISH_CHUNK = 500
DEADLOCK_RETRIES = 5
ER_DUP_ENTRY, ER_LOCK_DEADLOCK = 1062, 1213
CANDIDATE_DEPTH = 5  # candidates read per claim, in batches: room for several consumers claiming at once
CLAIM_TRIES = 20  # re-reads when every candidate was locked by another consumer
CLEAR_BATCH = 1000
MAX_BACKOFF_MINUTES = 16
FLUSH_SECONDS = 1.0  # finished jobs are recorded at the latest this long after they finish


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _ts(value: datetime) -> str:
    return value.isoformat(" ", "microseconds")


def backoff(attempts: int) -> timedelta:
    """Delay before retrying after the n-th failed attempt: min(16, 2^(n-1)) minutes."""
    return timedelta(minutes=min(MAX_BACKOFF_MINUTES, 2 ** max(0, attempts - 1)))


_STRICT_JSON = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS


def dumps_parameters(parameters: Any) -> str:
    """Parameters as JSON text; anything JSON cannot hold is refused (never pickled)."""
    if parameters is None:
        parameters = {}
    if not isinstance(parameters, dict):
        raise JobParametersError(f"job parameters must be a JSON object (a dict), got {type(parameters).__name__}")
    try:
        # orjson would write datetimes and dataclasses as strings and objects that do not read back as what was
        # given: pass them through (with no default) so they are refused like any other non-JSON value.
        return orjson.dumps(parameters, option=_STRICT_JSON).decode()
    except TypeError as exc:
        raise JobParametersError(f"job parameters must be JSON (str, int, float, bool, None, list, dict): {exc}") from None


@dataclass(frozen=True)
class Job:
    """A claimed job, as its callback's runner sees it."""

    id: int
    callback_name: str
    parameters: dict[str, Any]
    number_of_attempts: int
    priority: int
    serial_group: str | None
    identifier: str | None


@dataclass
class ProcessSummary:
    """What one consumer run did; ``to_dict()`` is a task's XCom."""

    claimed: int = 0
    finished: int = 0
    skipped: int = 0
    temporarily_failed: int = 0
    permanently_failed: int = 0
    waiting: int = 0
    released: int = 0
    lost: int = 0  # outcome not recorded: the job was rescued by someone else meanwhile
    stopped_by: str = "empty"
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["seconds"] = round(self.seconds, 3)
        return data


class JobQueue:
    """A database-backed job queue on one ``queue`` of the ``background_job`` table.

    :param engine: a SQLAlchemy engine (MySQL/MariaDB or SQLite); see :meth:`from_conn_id`
    :param broker: optional; ids of published jobs are sent to it after their transaction commits
    :param lease_seconds: how long a claimed job may go without a lease renewal before it can be rescued
    :param notify_on_attempts: after this many failed attempts a failure is reported loudly (error log, on_notify)
    :param max_attempts: a job that failed (or was rescued) after this many attempts is failed for good instead of
        retried (default ``ROSTER_JOB_MAX_ATTEMPTS``, 10)
    """

    def __init__(
        self,
        engine: Engine,
        *,
        queue: str = registry.DEFAULT_QUEUE,
        broker: Broker | None = None,
        lease_seconds: int | None = None,
        notify_on_attempts: int = 5,
        max_attempts: int | None = None,
        waiting_seconds: float = 1.0,
        on_before_process: Callable[[Job], None] | None = None,
        on_after_process: Callable[[Job, Any], None] | None = None,
        on_error: Callable[[Job, BaseException], None] | None = None,
        on_notify: Callable[[Job, BaseException], None] | None = None,
    ) -> None:
        self.engine = engine
        self.queue = queue
        self.broker = broker
        self.lease_seconds = lease_seconds or settings.job_lease_seconds()
        self.notify_on_attempts = notify_on_attempts
        self.max_attempts = max_attempts or settings.job_max_attempts()
        self.waiting_seconds = waiting_seconds
        self.on_before_process = on_before_process
        self.on_after_process = on_after_process
        self.on_error = on_error
        self.on_notify = on_notify
        self.dialect = "mysql" if is_mysql(engine) else "sqlite"
        self._bulk: list[tuple] | None = None
        self._schema_checked = False
        self._stop_requested = False
        self._held = None  # the connection of a running consumer
        self._promoted_at = float("-inf")
        self._process = psutil.Process()

    @classmethod
    def from_conn_id(cls, conn_id: str = settings.DB_CONN_ID, **kwargs) -> JobQueue:
        return cls(engine_for(conn_id), **kwargs)

    # -- schema ---------------------------------------------------------------------------------------------

    def update_schema(self) -> list[str]:
        """Create the table, or add the columns and indexes an older one lacks; return what was added."""
        from roster.jobs.schema import update_schema

        added = update_schema(self.engine)
        self._schema_checked = True
        return added

    def _ensure_schema(self) -> None:
        if not self._schema_checked:
            with self.engine.begin() as conn:
                run_script(conn, "background_job.sql")
            self._schema_checked = True

    # -- raw statements ---------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _cursor(self, conn=None, *, fresh: bool = False) -> Iterator[Any]:
        """A DB-API cursor in a transaction that commits on success: inside ``conn``'s when one is given; on the
        connection a consumer run holds; or on a pooled one (``fresh``: always pooled, for other threads)."""
        self._ensure_schema()
        if conn is not None:
            cursor = conn.connection.cursor()
            try:
                yield cursor
            finally:
                cursor.close()
            return
        held = None if fresh else self._held
        raw = held or self._checkout()
        cursor = raw.cursor()
        try:
            yield cursor
            raw.commit()
        except BaseException as exc:
            with contextlib.suppress(Exception):
                raw.rollback()
            dbapi = self.engine.dialect.loaded_dbapi
            if isinstance(exc, (dbapi.OperationalError, dbapi.InterfaceError)):  # the server, not the statement
                raise self._unavailable(exc) from exc
            raise
        finally:
            cursor.close()
            if raw is not held:
                raw.close()

    def _checkout(self):
        try:
            raw = self.engine.raw_connection()
            if self.dialect == "mysql" and not raw.info.get("roster_read_committed"):
                # Claims read candidates without locks; they must see others' latest commits, not a snapshot.
                cursor = raw.cursor()
                cursor.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
                cursor.close()
                raw.info["roster_read_committed"] = True
        except self.engine.dialect.loaded_dbapi.Error as exc:
            raise self._unavailable(exc) from exc
        return raw

    def _unavailable(self, exc: Exception):
        return unavailable(self.engine, exc)

    def _execute(self, cursor, sql: str, params: dict | None = None):
        sql, params = q.expand(sql, params or {})
        cursor.execute(q.for_dialect(sql, self.dialect), params)
        return cursor

    # -- publishing -------------------------------------------------------------------------------------------

    def publish(
        self,
        callback_name: str,
        parameters: dict[str, Any] | None = None,
        *,
        serial_group: str | None = None,
        identifier: str | None = None,
        unique: bool = False,
        available_at: datetime | None = None,
        delay: float | None = None,
        priority: int | None = None,
        queue: str | None = None,
        conn=None,
    ) -> int | None:
        """Add a job; return its id (``None`` inside :meth:`bulk`, where ids come back from the block).

        :param unique: at most one job per (queue, identifier) ever runs; later ones are stored REDUNDANT
        :param conn: a SQLAlchemy connection whose transaction the insert joins (the broker is told on commit of
            :meth:`transaction` only); by default the job is committed at once
        """
        callback = registry.get(callback_name)
        if unique and not identifier:
            raise InvalidOptionError("a unique job needs an identifier: unique=True, identifier=None")
        if available_at is not None and delay is not None:
            raise InvalidOptionError("give available_at or delay, not both")
        job_queue = queue or callback.queue or self.queue
        limits.job(queue=job_queue, callback_name=callback_name, serial_group=serial_group, identifier=identifier,
                   unique=unique, delay=delay)  # fmt: skip
        document = dumps_parameters(parameters)
        limits.parameters(callback.func, callback_name, parameters, document)
        now = utcnow()
        if delay is not None:
            available_at = now + timedelta(seconds=delay)
        elif available_at is not None and available_at.tzinfo is not None:
            available_at = available_at.astimezone(timezone.utc).replace(tzinfo=None)
        row = (
            job_queue,
            limits.priority(callback.priority if priority is None else priority, lanes()),
            callback_name,
            document,
            int(State.READY),
            _ts(now),
            _ts(available_at or now),
            serial_group,
            identifier,
            f"{job_queue}\x1f{identifier}" if unique else None,
            _ts(now),
        )
        if self._bulk is not None and not unique:
            # Timestamps are set when the block's rows are inserted; available_at only when it was given.
            self._bulk.append((*row[:5], None, _ts(available_at) if available_at else None, *row[7:10], None))
            return None
        with self._cursor(conn) as cursor:
            job_id = self._insert_one(cursor, row, own_transaction=conn is None)
        if conn is None:
            self._send_to_broker([job_id], [row[1]])
        else:
            conn.info.setdefault("roster_jobs_to_broker", []).append((job_id, row[1]))
        return job_id

    def _insert_one(self, cursor, row: tuple, *, own_transaction: bool = True) -> int:
        params = dict(zip(q.INSERT_COLUMNS, row))
        if params["unique_key"] is None:
            columns = ", ".join(q.INSERT_COLUMNS)
            self._execute(cursor, f"INSERT INTO background_job ({columns}) VALUES ({', '.join(':' + c for c in q.INSERT_COLUMNS)})", params)
            return int(cursor.lastrowid)
        dbapi = self.engine.dialect.loaded_dbapi
        for attempt in range(DEADLOCK_RETRIES):
            try:
                try:
                    self._execute(cursor, q.INSERT_UNIQUE[self.dialect], params)
                    if cursor.rowcount == 1:
                        return int(cursor.lastrowid)
                except dbapi.IntegrityError as exc:
                    if exc.args and exc.args[0] != ER_DUP_ENTRY:
                        raise
                if own_transaction:
                    # The failed insert left a shared lock on the key: let it go before inserting again, or
                    # concurrent losers deadlock on each other.
                    cursor.connection.rollback()
                # Lost the race (or a twin already ran): keep the attempt, visibly, as REDUNDANT.
                return self._insert_redundant(cursor, {**params, "unique_key": None, "state": int(State.REDUNDANT)})
            except dbapi.OperationalError as exc:
                # InnoDB rolled the transaction back: retry when it held nothing but this publish.
                retry = exc.args and exc.args[0] == ER_LOCK_DEADLOCK and own_transaction
                if not retry or attempt == DEADLOCK_RETRIES - 1:
                    raise
                cursor.connection.rollback()
                time.sleep(0.01 * (attempt + 1))
        raise AssertionError("unreachable")

    def _insert_redundant(self, cursor, params: dict) -> int:
        columns = ", ".join(q.INSERT_COLUMNS)
        self._execute(
            cursor,
            f"INSERT INTO background_job ({columns}, finished_at) VALUES "
            f"({', '.join(':' + c for c in q.INSERT_COLUMNS)}, :created_at)",
            params,
        )
        return int(cursor.lastrowid)

    @contextlib.contextmanager
    def bulk(self) -> Iterator[list[int]]:
        """Publishes inside are inserted many rows per statement when the block ends; the list yielded is filled
        with their ids then. Unique jobs are inserted one by one (each needs its own race on the unique index)."""
        if self._bulk is not None:
            raise InvalidOptionError("queue.bulk() blocks do not nest")
        self._bulk = []
        ids: list[int] = []
        try:
            yield ids
            rows, self._bulk = self._bulk, None
            now = _ts(utcnow())
            rows = [(*r[:5], now, r[6] or now, *r[7:10], now) for r in rows]
            with self._cursor() as cursor:
                for start in range(0, len(rows), PUBLISH_CHUNK):
                    ids.extend(self._insert_many(cursor, rows[start : start + PUBLISH_CHUNK]))
            self._send_to_broker(ids, [row[1] for row in rows])
        finally:
            self._bulk = None

    def _insert_many(self, cursor, rows: list[tuple]) -> list[int]:
        """One multi-row INSERT. A column whose value is the same in every row (queue, state, callback, the block's
        timestamps...) is written once as an escaped literal; only the varying ones are placeholders, so the driver
        escapes a few values per row instead of eleven. (mysqlclient's executemany would batch only when every
        VALUES item is a bare placeholder, so the statement is built here.)"""
        mark = "%s" if self.dialect == "mysql" else "?"
        columns = range(len(q.INSERT_COLUMNS))
        varying = [i for i in columns if any(row[i] != rows[0][i] for row in rows)]
        cells = [mark if i in varying else self._literal(cursor, rows[0][i]) for i in columns]
        values = "(" + ", ".join(cells) + ")"
        sql = f"INSERT INTO background_job ({', '.join(q.INSERT_COLUMNS)}) VALUES " + ", ".join([values] * len(rows))
        flat = [row[i] for row in rows for i in varying]
        if self.dialect == "sqlite":
            cursor.execute(sql + " RETURNING id", flat)
            return sorted(row[0] for row in cursor.fetchall())
        cursor.execute(sql, flat)
        # InnoDB gives one multi-row INSERT consecutive ids (innodb_autoinc_lock_mode 0 or 1, MariaDB's default).
        first = int(cursor.lastrowid)
        return list(range(first, first + len(rows)))

    def _literal(self, cursor, value) -> str:
        if value is None:
            return "NULL"
        if isinstance(value, int):
            return str(int(value))
        if self.dialect == "mysql":
            return cursor.connection.literal(value).decode().replace("%", "%%")
        return "'" + str(value).replace("'", "''") + "'"

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        """A connection in a transaction for your own writes and ``publish(..., conn=conn)``: jobs are sent to the
        broker only after it commits, and never for a rolled-back one."""
        with self.engine.connect() as conn:
            try:
                with conn.begin():
                    yield conn
            except BaseException:
                conn.info.pop("roster_jobs_to_broker", None)
                raise
            published = conn.info.pop("roster_jobs_to_broker", [])
            self._send_to_broker([job_id for job_id, _ in published], [priority for _, priority in published])

    def _send_to_broker(self, ids: Sequence[int], priorities: Sequence[int]) -> None:
        """One send per publishing transaction: the broker groups the ids by lane (the jobs' priorities)."""
        if self.broker is None or not ids:
            return
        try:
            self.broker.send(list(ids), list(priorities))
        except Exception as exc:
            log.error("broker send failed for %d job(s); they are BROKER_FAILED until re-brokered: %s", len(ids), exc)
            with self._cursor() as cursor:
                self._mark(cursor, ids, State.BROKER_FAILED, (State.READY,))

    def _mark(self, cursor, ids: Sequence[int], to_state: State, from_states: Sequence[State]) -> int:
        self._execute(
            cursor,
            q.MARK_STATE,
            {"to_state": int(to_state), "now": _ts(utcnow()), "ids": list(ids), "from_states": [int(s) for s in from_states]},
        )
        return cursor.rowcount

    # -- claiming and processing ------------------------------------------------------------------------------

    def claim(
        self, *, priorities: str | None = None, batch: int = DEFAULT_CLAIM_BATCH, worker: str | None = None,
        job_ids: Sequence[int] | None = None, finished: Sequence[tuple] = (),
    ) -> list[Job]:  # fmt: skip
        """Claim up to ``batch`` READY jobs of the lane (PROCESSING, with a lease); most urgent first, then oldest.

        :param finished: FINISHED records of the previous batch, written in the same transaction (one commit)
        """
        low, high = parse_priorities(priorities)
        now = utcnow()
        params = {
            "queue": self.queue, "low": low, "high": high, "now": _ts(now), "batch": int(batch),
            "locked_until": _ts(now + timedelta(seconds=self.lease_seconds)), "pid": os.getpid(),
            "hostname": socket.gethostname()[:255], "worker": (worker or "")[:255] or None,
            "by_broker": 1 if job_ids is not None else 0,
        }  # fmt: skip
        only_ids = ""
        if job_ids is not None:
            params["only"] = list(job_ids) or [0]
            only_ids = "AND j.id IN :only"
        candidates_sql = q.CLAIM_CANDIDATES.replace("{only_ids}", only_ids)
        self.last_recorded = 0
        with self._cursor() as cursor:
            if finished:
                self.last_recorded = self._write_finished(cursor, finished)
            if time.monotonic() - self._promoted_at >= PROMOTE_EVERY_SECONDS:
                self._execute(cursor, q.PROMOTE_DUE, {"now": params["now"], "queue": self.queue})
                self._promoted_at = time.monotonic()
            if self.dialect == "sqlite":
                sql = q.CLAIM_SQLITE.replace("{candidates}", candidates_sql)
                self._execute(cursor, sql, params)
                rows = cursor.fetchall()
            else:
                rows = []
                for _ in range(CLAIM_TRIES):
                    self._execute(cursor, candidates_sql, {**params, "batch": int(batch) * CANDIDATE_DEPTH})
                    candidates = [row[0] for row in cursor.fetchall()]
                    if not candidates:
                        break
                    self._execute(cursor, q.CLAIM_LOCK, {"ids": candidates, "batch": int(batch)})
                    rows = cursor.fetchall()
                    if rows:
                        self._execute(cursor, q.CLAIM_MARK, {**params, "ids": [row[0] for row in rows]})
                        break
                    # Every candidate was being claimed by other consumers: look again, they are not empty.
        jobs = [
            Job(id=r[0], callback_name=r[1], parameters=orjson.loads(r[2]), number_of_attempts=r[3] + 1,
                priority=r[4], serial_group=r[5], identifier=r[6])
            for r in rows
        ]  # fmt: skip
        return sorted(jobs, key=lambda job: (job.priority, job.id))

    def process(
        self,
        priorities: str | None = None,
        limit: int | None = None,
        time_limit: float | None = None,
        memory_limit: float | None = None,
        *,
        batch: int | None = None,
        worker: str | None = None,
        job_ids: Sequence[int] | None = None,
        handle_signals: bool = False,
        idle_wait: float = 0.0,
    ) -> dict[str, Any]:
        """One consumer run: claim and run jobs of the lane until it is empty, ``limit`` jobs ran, ``time_limit``
        seconds passed, RSS exceeds ``memory_limit`` MB, a DieError, SIGTERM or ``stop-consumers``.

        :param batch: jobs per claim; by default adapted to about a second of work (see MAX_CLAIM_BATCH)
        :param job_ids: claim only these (what a broker delivered); jobs already taken or done are not claimed
        :param idle_wait: once the lane is empty, go on looking (every IDLE_POLL_SECONDS) for this many seconds
            before stopping, so jobs published meanwhile start at once; not with ``job_ids``
        """
        started = time.monotonic()
        started_at = utcnow()
        summary = ProcessSummary()
        self._stop_requested = False
        previous_handler = None
        if handle_signals and threading.current_thread() is threading.main_thread():
            previous_handler = signal.signal(signal.SIGTERM, self._on_sigterm)
        lease = _LeaseKeeper(self)
        lease.start()
        pending_ids = list(job_ids) if job_ids is not None else None
        size = batch or DEFAULT_CLAIM_BATCH
        finished: list[tuple] = []
        idle_since: float | None = None
        self._held = self._checkout()
        try:
            while True:
                stop = self._should_stop(summary, started, started_at, limit, time_limit, memory_limit)
                if stop:
                    summary.stopped_by = stop
                    break
                if limit is not None:
                    size = max(1, min(size, limit - summary.claimed))
                jobs = self.claim(priorities=priorities, batch=size, worker=worker, job_ids=pending_ids,
                                  finished=finished)  # fmt: skip
                self._count_recorded(finished, summary, lease)
                finished = []
                if pending_ids is not None:
                    claimed_ids = {job.id for job in jobs}
                    pending_ids = [i for i in pending_ids if i not in claimed_ids]
                if not jobs:
                    now = time.monotonic()
                    idle_since = now if idle_since is None else idle_since
                    if idle_wait > 0 and pending_ids is None and now - idle_since < idle_wait:
                        time.sleep(min(IDLE_POLL_SECONDS, idle_wait - (now - idle_since)))
                        continue
                    summary.stopped_by = "empty"
                    break
                idle_since = None
                summary.claimed += len(jobs)
                lease.hold(job.id for job in jobs)
                batch_started = time.monotonic()
                finished = self._run_batch(jobs, summary, lease, started, time_limit, memory_limit, started_at)
                if batch is None:
                    per_job = (time.monotonic() - batch_started) / len(jobs)
                    size = max(1, min(MAX_CLAIM_BATCH, int(TARGET_BATCH_SECONDS / max(per_job, 1e-4))))
                if pending_ids is not None and not pending_ids:
                    summary.stopped_by = "empty"
                    break
            if finished:
                self._record_finished(finished, summary, lease)
        finally:
            lease.stop()
            held, self._held = self._held, None
            with contextlib.suppress(Exception):
                held.close()
            if previous_handler is not None:
                signal.signal(signal.SIGTERM, previous_handler)
        summary.seconds = time.monotonic() - started
        return summary.to_dict()

    def _run_batch(self, jobs, summary, lease, started, time_limit, memory_limit, started_at) -> list[tuple]:
        """Run a claimed batch; return the FINISHED records not yet written (the next claim writes them)."""
        finished: list[tuple] = []
        first_pending = 0.0
        for index, job in enumerate(jobs):
            if index:
                stop = self._should_stop(summary, started, started_at, None, time_limit, memory_limit)
                if stop:
                    self._release(jobs[index:], summary, lease)
                    summary.stopped_by = stop
                    break
            outcome = self._run(job, summary)
            if outcome is None:
                lease.release([job.id])
                continue
            finished.append(outcome)
            first_pending = first_pending or time.monotonic()
            if time.monotonic() - first_pending >= FLUSH_SECONDS:
                # Long jobs: record what finished now rather than after the whole batch.
                self._record_finished(finished, summary, lease)
                finished, first_pending = [], 0.0
        return finished

    def _run(self, job: Job, summary: ProcessSummary) -> tuple | None:
        """Run one job. Returns its FINISHED record, or None when its outcome was written here already."""
        peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        clock = time.perf_counter()
        error: BaseException | None = None
        metadata = None
        die = False
        try:
            callback = registry.get(job.callback_name)
            if self.on_before_process:
                self.on_before_process(job)
            result = callback.func(**job.parameters)
            if self.on_after_process:
                self.on_after_process(job, result)
        except SkipJob as exc:
            metadata = orjson.dumps({"skipped": str(exc)}).decode()
            summary.skipped += 1
        except DieError as exc:
            error, die = exc.error, True
        except Exception as exc:  # every other error is the job's outcome, never the consumer's end
            error = exc
        ms = int((time.perf_counter() - clock) * 1000)
        # Peak resident memory of the consumer process (kB) before and after: cheap enough for every job, and
        # what shows a job that needs more memory than its neighbours.
        peak_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        memory = f'{{"peak_rss_kb_before": {peak_before}, "peak_rss_kb": {peak_after}}}'
        if die:
            self._stop_requested = True
            summary.stopped_by = "die"
        if error is None:
            summary.finished += metadata is None
            return (job.id, ms, memory, metadata)
        self._record_failure(job, error, ms, memory, summary)
        return None

    def _write_finished(self, cursor, finished: Sequence[tuple]) -> int:
        """Mark a batch's finished jobs FINISHED in one statement; return how many were still ours."""
        mark = "%s" if self.dialect == "mysql" else "?"
        first = f"SELECT {mark} AS id, {mark} AS ms, {mark} AS memory, {mark} AS metadata"
        values = " UNION ALL ".join([first] + [f"SELECT {mark}, {mark}, {mark}, {mark}"] * (len(finished) - 1))
        template = q.FINISH_MYSQL if self.dialect == "mysql" else q.FINISH_SQLITE
        now = _ts(utcnow())
        sql = template.replace("{values}", values).replace(":now", mark)
        flat = [value for row in finished for value in row]
        cursor.execute(sql, flat + [now, now] if self.dialect == "mysql" else [now, now] + flat)
        return cursor.rowcount

    def _record_finished(self, finished, summary: ProcessSummary, lease) -> None:
        with self._cursor() as cursor:
            self.last_recorded = self._write_finished(cursor, finished)
        self._count_recorded(finished, summary, lease)

    def _count_recorded(self, finished, summary: ProcessSummary, lease) -> None:
        if not finished:
            return
        if self.last_recorded != len(finished):
            summary.lost += len(finished) - self.last_recorded
            log.warning("%d finished job(s) had been rescued meanwhile; they may run again", len(finished) - self.last_recorded)
        lease.release([row[0] for row in finished])

    def _record_failure(self, job: Job, error: BaseException, ms: int, memory: str, summary) -> None:
        now = utcnow()
        message = f"{type(error).__name__}: {error}"[:65000]
        uncount = 0
        if isinstance(error, PermanentError) or (
            not isinstance(error, WaitingError) and job.number_of_attempts >= self.max_attempts
        ):  # a temporary failure that used ROSTER_JOB_MAX_ATTEMPTS is failed for good too, shown by `failed show`
            state, available_at = State.PERMANENTLY_FAILED, now
            summary.permanently_failed += 1
        elif isinstance(error, WaitingError):
            # Not an attempt: the job was not ready to run.
            state, available_at, uncount = State.WAITING, now + timedelta(seconds=self.waiting_seconds), 1
            summary.waiting += 1
        else:
            state, available_at = State.TEMPORARILY_FAILED, now + backoff(job.number_of_attempts)
            summary.temporarily_failed += 1
        if self.on_error and state is not State.WAITING:
            try:
                self.on_error(job, error)
            except Exception:
                log.exception("on_error hook failed for job %d", job.id)
        with self._cursor() as cursor:
            self._execute(
                cursor,
                q.FAIL,
                {"state": int(state), "error": message, "available_at": _ts(available_at), "ms": ms,
                 "memory": memory, "uncount": uncount, "now": _ts(now), "id": job.id},
            )  # fmt: skip
            if cursor.rowcount != 1:
                summary.lost += 1
        if state is State.WAITING:
            return
        if len(summary.errors) < 10:
            summary.errors.append(f"job {job.id} ({job.callback_name}): {message[:300]}")
        if state is State.TEMPORARILY_FAILED and job.number_of_attempts >= self.notify_on_attempts:
            log.error(
                "job %d (%s) failed %d times, retrying in %s: %s",
                job.id, job.callback_name, job.number_of_attempts, backoff(job.number_of_attempts), message,
            )  # fmt: skip
            if self.on_notify:
                self.on_notify(job, error)
        else:
            log.warning("job %d (%s) %s: %s", job.id, job.callback_name, state.name, message)

    def _release(self, jobs: Sequence[Job], summary: ProcessSummary, lease) -> None:
        ids = [job.id for job in jobs]
        with self._cursor() as cursor:
            self._execute(cursor, q.RELEASE, {"ids": ids, "now": _ts(utcnow())})
            summary.released += cursor.rowcount
        lease.release(ids)

    def _on_sigterm(self, signum, frame) -> None:
        log.warning("SIGTERM: stopping after the current job")
        self._stop_requested = True

    def _should_stop(self, summary, started, started_at, limit, time_limit, memory_limit) -> str | None:
        if self._stop_requested:
            return summary.stopped_by if summary.stopped_by == "die" else "signal"
        if limit is not None and summary.claimed >= limit:
            return "limit"
        if time_limit is not None and time.monotonic() - started >= time_limit:
            return "time_limit"
        if memory_limit is not None and self._process.memory_info().rss >= memory_limit * 1024 * 1024:
            return "memory_limit"
        stop_at = self._stop_consumers_at()
        if stop_at is not None and stop_at >= started_at:
            return "stop_consumers"
        return None

    def _stop_consumers_at(self) -> datetime | None:
        # Checked between jobs: one indexed primary-key read, cached for a second so no-op jobs stay cheap.
        now = time.monotonic()
        if now - getattr(self, "_stop_checked", 0.0) < 1.0:
            return getattr(self, "_stop_value", None)
        self._stop_checked = now
        with self._cursor() as cursor:
            self._execute(cursor, q.CONTROL_GET, {"name": "stop_consumers"})
            row = cursor.fetchone()
        value = row[0] if row else None
        self._stop_value = datetime.fromisoformat(value) if isinstance(value, str) else value
        return self._stop_value

    def stop_consumers(self) -> None:
        """Ask every consumer running now to stop after its current job (like ``messenger:stop-workers``)."""
        with self._cursor() as cursor:
            self._execute(cursor, q.CONTROL_SET[self.dialect], {"name": "stop_consumers", "value": _ts(utcnow())})

    # -- maintenance ------------------------------------------------------------------------------------------

    def rescue_expired(self) -> dict[str, int]:
        """PROCESSING jobs past their lease (their consumer died): READY again, or PERMANENTLY_FAILED once they
        used ``max_attempts``; the reason goes to error_message."""
        now = _ts(utcnow())
        with self._cursor() as cursor:
            self._execute(
                cursor,
                q.RESCUE_FAIL,
                {"queue": self.queue, "now": now, "max_attempts": self.max_attempts,
                 "reason": f"lease expired (consumer died?) after {self.max_attempts} attempts: giving up"},
            )  # fmt: skip
            failed = cursor.rowcount
            self._execute(
                cursor, q.RESCUE_RETRY, {"queue": self.queue, "now": now, "reason": "rescued: lease expired (consumer died?)"}
            )
            retried = cursor.rowcount
        if failed or retried:
            log.warning("rescued %d job(s) whose lease expired; %d failed for good", retried, failed)
        return {"rescued": retried, "failed": failed}

    def clear_finished(self, days: float = 14) -> int:
        """Delete FINISHED and REDUNDANT jobs finished more than ``days`` ago, in small batches (short locks)."""
        limits.number("days", days, high=limits.MAX_DELAY_SECONDS / 86400)
        before = _ts(utcnow() - timedelta(days=days))
        deleted = 0
        for _ in range(1_000_000):  # bounded: stops at the first short batch
            with self._cursor() as cursor:
                self._execute(cursor, q.CLEAR_FINISHED_BATCH, {"queue": self.queue, "before": before, "batch": CLEAR_BATCH})
                count = cursor.rowcount
            deleted += count
            if count < CLEAR_BATCH:
                break
        return deleted

    def rebroker(self, batch: int = 500) -> dict[str, int]:
        """Send BACK_TO_BROKER and BROKER_FAILED jobs to the broker again (READY once sent)."""
        if self.broker is None:
            with self._cursor() as cursor:
                self._execute(cursor, q.REBROKER_CANDIDATES, {"queue": self.queue, "batch": 1_000_000})
                ids = [row[0] for row in cursor.fetchall()]
                made_ready = self._mark(cursor, ids, State.READY, (State.BACK_TO_BROKER, State.BROKER_FAILED)) if ids else 0
            return {"sent": 0, "ready": made_ready, "failed": 0}
        sent = failed = 0
        for _ in range(100_000):  # bounded
            with self._cursor() as cursor:
                self._execute(cursor, q.REBROKER_CANDIDATES, {"queue": self.queue, "batch": batch})
                ids = [row[0] for row in cursor.fetchall()]
            if not ids:
                break
            try:
                self.broker.send(ids)
            except Exception as exc:
                log.error("re-broker of %d job(s) failed: %s", len(ids), exc)
                with self._cursor() as cursor:
                    self._mark(cursor, ids, State.BROKER_FAILED, (State.BACK_TO_BROKER,))
                failed += len(ids)
                break
            with self._cursor() as cursor:
                sent += self._mark(cursor, ids, State.READY, (State.BACK_TO_BROKER, State.BROKER_FAILED))
        return {"sent": sent, "ready": sent, "failed": failed}

    def stats(self) -> dict[str, Any]:
        """Counts per queue and state, per lane (pools.json) for READY jobs, and the age of the oldest READY job."""
        now = utcnow()
        with self._cursor() as cursor:
            self._execute(cursor, q.STATS, {"now": _ts(now)})
            rows = cursor.fetchall()
        per_queue: dict[str, dict[str, int]] = {}
        per_lane: dict[str, int] = {name: 0 for name in lanes()}
        oldest: datetime | None = None
        for queue, state, priority, count, ready_since in rows:
            states = per_queue.setdefault(queue, {})
            name = State(int(state)).name
            states[name] = states.get(name, 0) + int(count)
            if int(state) == State.READY:
                for lane, (low, high) in lanes().items():
                    if low <= int(priority) <= high:
                        per_lane[lane] += int(count)
                since = datetime.fromisoformat(ready_since) if isinstance(ready_since, str) else ready_since
                if since is not None and (oldest is None or since < oldest):
                    oldest = since
        return {
            "queues": per_queue,
            "ready_per_lane": per_lane,
            "oldest_ready_age_seconds": round((now - oldest).total_seconds(), 1) if oldest else None,
        }

    def failed(self, ids: Sequence[int] | None = None) -> list[dict[str, Any]]:
        with self._cursor() as cursor:
            sql, params = self._only_ids(q.FAILED, ids)
            self._execute(cursor, sql, params)
            rows = cursor.fetchall()
        keys = ("id", "callback_name", "parameters", "number_of_attempts", "error_message", "last_attempt_at",
                "serial_group", "identifier")  # fmt: skip
        result = [dict(zip(keys, row)) for row in rows]
        for item in result:
            item["parameters"] = orjson.loads(item["parameters"])
            if isinstance(item["last_attempt_at"], datetime):
                item["last_attempt_at"] = item["last_attempt_at"].isoformat()
        return result

    def retry(self, ids: Sequence[int] | None) -> int:
        """PERMANENTLY_FAILED jobs (these ids, or all for ``None``) back to READY with a fresh attempt count."""
        with self._cursor() as cursor:
            sql, params = self._only_ids(q.RETRY_FAILED, ids)
            self._execute(cursor, sql, {**params, "now": _ts(utcnow())})
            return cursor.rowcount

    def remove(self, ids: Sequence[int] | None) -> int:
        """Delete PERMANENTLY_FAILED jobs (these ids, or all for ``None``)."""
        with self._cursor() as cursor:
            sql, params = self._only_ids(q.REMOVE_FAILED, ids)
            self._execute(cursor, sql, params)
            return cursor.rowcount

    def _only_ids(self, sql: str, ids: Sequence[int] | None) -> tuple[str, dict]:
        if ids is None:
            return sql.replace("{only_ids}", ""), {"queue": self.queue}
        ids = [int(i) for i in ids]
        if not ids:
            raise InvalidOptionError("no job ids given (use --all for every failed job)")
        return sql.replace("{only_ids}", "AND id IN :ids"), {"queue": self.queue, "ids": ids}

    def ready_count(self, priorities: str | None = None) -> int:
        """How many jobs of the lane a consumer could claim now."""
        low, high = parse_priorities(priorities)
        with self._cursor() as cursor:
            self._execute(cursor, q.READY_COUNT, {"queue": self.queue, "now": _ts(utcnow()), "low": low, "high": high})
            return int(cursor.fetchone()[0])

    def unfinished_identifiers(self, identifiers: Sequence[str]) -> list[str]:
        """Which of these identifiers still have a job to come (not FINISHED, REDUNDANT or PERMANENTLY_FAILED)."""
        if not identifiers:
            return []
        with self._cursor() as cursor:
            self._execute(cursor, q.UNFINISHED_IDENTIFIERS, {"queue": self.queue, "identifiers": list(identifiers)})
            found = {row[0] for row in cursor.fetchall()}
        return [identifier for identifier in identifiers if identifier in found]


class _LeaseKeeper:
    """Renews the lease of the jobs a consumer holds, from a thread, every third of the lease."""

    def __init__(self, queue: JobQueue) -> None:
        self.queue = queue
        self.held: set[int] = set()
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="roster-job-lease", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def hold(self, ids) -> None:
        with self.lock:
            self.held.update(ids)

    def release(self, ids) -> None:
        with self.lock:
            self.held.difference_update(ids)

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=10)

    def _run(self) -> None:
        interval = max(0.5, self.queue.lease_seconds / 3)
        while not self.stopped.wait(interval):
            with self.lock:
                ids = list(self.held)
            if not ids:
                continue
            try:
                until = _ts(utcnow() + timedelta(seconds=self.queue.lease_seconds))
                with self.queue._cursor(fresh=True) as cursor:
                    self.queue._execute(cursor, q.RENEW_LEASE, {"locked_until": until, "ids": ids})
            except Exception as exc:  # the next renewal may succeed; a lost lease only risks a second run
                log.warning("could not renew the lease of %d job(s): %s", len(ids), exc)


__all__ = ["DEFAULT_CLAIM_BATCH", "FINISHED_STATES", "Job", "JobQueue", "UNFINISHED", "backoff"]
