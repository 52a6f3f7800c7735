"""The publishing side: one job, a bulk block (many rows per statement), unique races, and the broker told after
the publishing transaction commits."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta, timezone
from typing import TYPE_CHECKING, Any

import orjson

from roster.errors import InvalidOptionError
from roster.jobs import job_options, limits, registry
from roster.jobs.lanes import lanes
from roster.jobs.model import PLAIN_ROW, NewJob, parameters_json, parameters_object
from roster.jobs.states import State
from roster.jobs.store import Store, Tx, ts, utcnow
from roster.sql import statement

if TYPE_CHECKING:
    from roster.jobs.broker import Broker

log = logging.getLogger("roster.jobs")

PUBLISH_CHUNK = 500
DEADLOCK_RETRIES = 5
ER_DUP_ENTRY, ER_LOCK_DEADLOCK = 1062, 1213
_BROKER_IDS = "roster_jobs_to_broker"  # conn.info key: (id, priority) of jobs published in a caller's transaction


def new_job(callback_name: str, parameters: dict[str, Any] | None, *, default_queue: str, serial_group=None,
            identifier=None, unique=False, available_at=None, delay=None, priority=None, queue=None,
            concurrency_key=None, concurrency=None, rate_key=None, unique_for=None, unique_states=None,
            batch_id=None) -> NewJob:  # fmt: skip
    """A checked :class:`NewJob`: a registered callback, parameters that fit its signature and JSON, one way of
    giving the start time, every limit of :mod:`roster.jobs.limits`. Every publish comes through here (the CLI's
    ``--from-file`` too), so each check runs once per job.

    Flow control and uniqueness (:mod:`roster.jobs.job_options`): ``concurrency_key``, ``concurrency``,
    ``rate_key``, ``unique_for``, ``unique_states``; and ``batch_id`` (a batch's publish).
    """
    callback = registry.get(callback_name)
    values = parameters_object(parameters)
    callback.check_parameters(values)  # an unknown or missing name is refused now, not at run time
    if unique and not identifier:
        raise InvalidOptionError("a unique job needs an identifier: unique=True, identifier=None")
    if available_at is not None and delay is not None:
        raise InvalidOptionError("give available_at or delay, not both")
    queue = queue or callback.queue or default_queue
    limits.job(queue=queue, callback_name=callback_name, serial_group=serial_group, identifier=identifier,
               unique=unique, delay=delay)  # fmt: skip
    document = parameters_json(values)  # the one dump: sized, scanned and stored
    limits.parameters(callback_name, values, document)
    if delay is not None:
        available_at = utcnow() + timedelta(seconds=delay)
    elif available_at is not None and available_at.tzinfo is not None:
        available_at = available_at.astimezone(timezone.utc).replace(tzinfo=None)
    job = NewJob(
        queue=queue, priority=limits.priority(callback.priority if priority is None else priority, lanes()),
        callback_name=callback_name, parameters=document.decode(), available_at=available_at,
        serial_group=serial_group, identifier=identifier, unique=bool(unique),
    )  # fmt: skip
    if (concurrency_key is None and concurrency is None and rate_key is None and unique_for is None
            and unique_states is None and batch_id is None and callback.concurrency is None and callback.rate is None):
        return job  # the common job: nothing more to check or add
    fields = job_options.flow_fields(callback, concurrency_key=concurrency_key, concurrency=concurrency,
                                     rate_key=rate_key)  # fmt: skip
    fields |= job_options.unique_fields(unique=unique, identifier=identifier, unique_for=unique_for,
                                        unique_states=unique_states)  # fmt: skip
    return job._replace(**fields, batch_id=batch_id)


@functools.cache
def insert_many_sql(dialect: str, *, flow: bool) -> str:
    """``insert_many``; for a chunk of plain jobs (``flow`` False) without its lines marked ``-- flow``, so the
    server reads no flow-control field of any row (five JSON paths a row: docs/flow-control.md)."""
    sql = statement("jobs/insert_many", dialect)
    return sql if flow else "\n".join(line for line in sql.splitlines() if not line.endswith("-- flow"))


def mark_state(tx: Tx, ids: Sequence[int], to_state: State, from_states: Sequence[State]) -> int:
    """A broker outcome: ``ids`` in one of ``from_states`` move to ``to_state``; how many did."""
    return tx.run("mark_state", to_state=int(to_state), now=ts(utcnow()), ids=list(ids),
                  from_states=[int(s) for s in from_states])  # fmt: skip


class Publisher:
    def __init__(self, store: Store, broker: Broker | None = None) -> None:
        self.store = store
        self.broker = broker
        self.pending: list[NewJob] | None = None  # inside bulk()

    def publish(self, job: NewJob, conn=None) -> int | None:
        """Insert ``job``; its id (``None`` inside :meth:`bulk`, where ids come back from the block)."""
        if self.pending is not None and not job.inserted_alone:
            self.pending.append(job)
            return None
        if conn is not None:
            with self.store.joined(conn) as tx:
                job_id = self._insert_one(tx, job, own_transaction=False)
            conn.info.setdefault(_BROKER_IDS, []).append((job_id, job.priority))
            return job_id
        with self.store.transaction() as tx:
            job_id = self._insert_one(tx, job)
        self.send_to_broker([job_id], [job.priority])
        return job_id

    def _insert_one(self, tx: Tx, job: NewJob, *, own_transaction: bool = True) -> int:
        params = job.insert_params(ts(utcnow()))
        if not job.inserted_alone:
            tx.run("insert", **params)
            return tx.lastrowid
        for attempt in range(DEADLOCK_RETRIES):
            try:
                if not job.unique:
                    return self._insert_unique_for(tx, job, params)
                return self._insert_unique(tx, params, own_transaction)
            except self.store.dbapi.OperationalError as exc:
                # InnoDB rolled the transaction back: retry when it held nothing but this publish.
                retry = exc.args and exc.args[0] == ER_LOCK_DEADLOCK and own_transaction
                if not retry or attempt == DEADLOCK_RETRIES - 1:
                    raise
                tx.rollback()
                time.sleep(0.01 * (attempt + 1))
        raise AssertionError("unreachable")

    def _insert_unique(self, tx: Tx, params: dict[str, Any], own_transaction: bool) -> int:
        try:
            if tx.run("insert_unique", **params) == 1:
                return tx.lastrowid
        except self.store.dbapi.IntegrityError as exc:
            if exc.args and exc.args[0] != ER_DUP_ENTRY:
                raise
        if own_transaction:
            # The failed insert left a shared lock on the key: let it go before inserting again, or concurrent
            # losers deadlock on each other.
            tx.rollback()
        # Lost the race (or a twin already ran): keep the attempt, visibly, as REDUNDANT.
        tx.run("insert_redundant", **params)
        return tx.lastrowid

    def _insert_unique_for(self, tx: Tx, job: NewJob, params: dict[str, Any]) -> int:
        """Unique by period and state: under the identifier's lock row (concurrent publishers of it take turns),
        a twin in ``unique_states`` published within ``unique_for`` makes this one REDUNDANT."""
        key = hashlib.sha256(f"{job.queue}\x1f{job.identifier}".encode()).hexdigest()
        tx.run("flow_lock", names=orjson.dumps([f"u\x1f{key}"]).decode(), now=params["created_at"])
        now = utcnow()  # after the lock: the window is measured from the turn this publisher got
        since = ts(now - timedelta(seconds=job.unique_for)) if job.unique_for else "0001-01-01 00:00:00.000000"
        params = {**params, "created_at": ts(now), "updated_at": ts(now)}
        if params["available_at"] < params["created_at"] and job.available_at is None:
            params["available_at"] = ts(now)
        twin = tx.rows("unique_existing", queue=job.queue, identifier=job.identifier, states=list(job.unique_states),
                       since=since)  # fmt: skip
        tx.run("insert_redundant" if twin else "insert", **params)
        return tx.lastrowid

    @contextlib.contextmanager
    def bulk(self, then: Callable[[Tx], None] | None = None) -> Iterator[list[int]]:
        """Publishes inside are inserted many rows per statement when the block ends; the list yielded is filled
        with their ids then. Unique jobs are inserted one by one (each needs its own race on the unique index).

        :param then: run in the inserts' transaction after them (a batch is sealed with its jobs)"""
        if self.pending is not None:
            raise InvalidOptionError("queue.bulk() blocks do not nest")
        self.pending = []
        ids: list[int] = []
        try:
            yield ids
            jobs, self.pending = self.pending, None
            with self.store.transaction() as tx:
                for start in range(0, len(jobs), PUBLISH_CHUNK):
                    ids.extend(self._insert_many(tx, jobs[start : start + PUBLISH_CHUNK]))
                if then is not None:
                    then(tx)
            self.send_to_broker(ids, [job.priority for job in jobs])
        finally:
            self.pending = None

    def _insert_many(self, tx: Tx, jobs: list[NewJob]) -> list[int]:
        rows = [job.bulk_row() for job in jobs]
        sql = insert_many_sql(tx.dialect, flow=any(len(row) > PLAIN_ROW for row in rows))
        inserted = tx.rows_of(sql, rows=orjson.dumps(rows).decode(), now=ts(utcnow()))
        if tx.dialect == "sqlite":
            return sorted(row[0] for row in inserted)
        first = tx.lastrowid
        return list(range(first, first + len(jobs)))

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        """A SQLAlchemy connection in a transaction for the caller's writes and ``publish(..., conn=conn)``: the
        broker is told after it commits, never for a rolled-back one."""
        with self.store.engine.connect() as conn:
            try:
                with conn.begin():
                    yield conn
            except BaseException:
                conn.info.pop(_BROKER_IDS, None)
                raise
            published = conn.info.pop(_BROKER_IDS, [])
            self.send_to_broker([job_id for job_id, _ in published], [priority for _, priority in published])

    def send_to_broker(self, ids: Sequence[int], priorities: Sequence[int]) -> None:
        """One send per publishing transaction: the broker groups the ids by lane (the jobs' priorities)."""
        if self.broker is None or not ids:
            return
        try:
            self.broker.send(list(ids), list(priorities))
        except Exception as exc:
            log.error("broker send failed for %d job(s); they are BROKER_FAILED until re-brokered: %s", len(ids), exc)
            with self.store.transaction() as tx:
                mark_state(tx, ids, State.BROKER_FAILED, (State.READY,))


__all__ = ["NewJob", "Publisher", "mark_state", "new_job"]
