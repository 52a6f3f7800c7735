"""JobQueue: SPEC's facade over the job queue's roles, for one ``queue`` of the ``background_job`` table.

The roles: the store (:mod:`roster.jobs.store`, the only code that executes job SQL, the statements of
roster/sql/jobs/), the publisher, the consumer (one object per ``process`` run), the maintenance services, the
admin commands and the SQS broker (:mod:`roster.jobs.broker`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from roster import settings
from roster.connections import engine_for
from roster.errors import NoJobTableError
from roster.jobs import fencing, limits, registry
from roster.jobs.admin import Admin
from roster.jobs.batches import Batch, announce, open_batch, progress, sweep
from roster.jobs.claim import ClaimRequest, claim
from roster.jobs.config import ConsumerConfig, Deadline, Limits, Listeners
from roster.jobs.consumer import DEFAULT_CLAIM_BATCH, Consumer
from roster.jobs.lanes import parse_priorities
from roster.jobs.maintenance import Cleaner, Rebroker, Rescuer
from roster.jobs.model import Job, NewJob, backoff, dumps_parameters
from roster.jobs.outcomes import ProcessSummary
from roster.jobs.publisher import Publisher, new_job
from roster.jobs.states import FINISHED_STATES, UNFINISHED, State
from roster.jobs.store import Store, ts, utcnow

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from roster.jobs.broker import Broker

_ts = ts  # the name bench/ scripts of earlier commits import


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
        self.queue = limits.text("queue", queue, required=True)  # the rule publish applies to its queue
        self.lease_seconds = lease_seconds or settings.job_lease_seconds()
        self.notify_on_attempts = notify_on_attempts
        self.max_attempts = max_attempts or settings.job_max_attempts()
        self.waiting_seconds = waiting_seconds
        self.on_before_process = on_before_process
        self.on_after_process = on_after_process
        self.on_error = on_error
        self.on_notify = on_notify
        self.listeners = Listeners()  # more, added by listen(): the operators' metrics, for one
        self.store = Store(engine)
        self.dialect = self.store.dialect
        self.publisher = Publisher(self.store, broker)
        self.admin = Admin(self.store, queue)

    @classmethod
    def from_conn_id(cls, conn_id: str = settings.DB_CONN_ID, **kwargs) -> JobQueue:
        return cls(engine_for(conn_id), **kwargs)

    @property
    def broker(self) -> Broker | None:
        return self.publisher.broker

    def update_schema(self) -> list[str]:
        """Create the table, or add the columns and indexes an older one lacks; return what was added."""
        return self.store.update_schema()

    # -- publishing -------------------------------------------------------------------------------------------

    def publish(
        self, callback_name: str, parameters: dict[str, Any] | None = None, *, serial_group: str | None = None,
        identifier: str | None = None, unique: bool = False, available_at: datetime | None = None,
        delay: float | None = None, priority: int | None = None, queue: str | None = None, conn=None,
        concurrency_key: str | None = None, concurrency: int | None = None, rate_key: str | None = None,
        unique_for: timedelta | float | None = None, unique_states: Sequence[State | str] | None = None,
    ) -> int | None:  # fmt: skip
        """Add a job; return its id (``None`` inside :meth:`bulk`, where ids come back from the block).

        :param unique: at most one job per (queue, identifier) ever runs; later ones are stored REDUNDANT
        :param conn: a SQLAlchemy connection whose transaction the insert joins (the broker is told on commit of
            :meth:`transaction` only); by default the job is committed at once
        :param concurrency_key: at most ``concurrency`` (or the callback's ``@job(concurrency=N)``) PROCESSING jobs
            with this key at once, across consumers and lanes; the others wait READY, without using an attempt
        :param rate_key: the callback's ``@job(rate=...)`` counts per this key instead of for all its jobs
        :param unique_for: REDUNDANT if a job of the queue with this identifier was published within this period
            (in ``unique_states``, by default any state but REDUNDANT and CANCELLED); race-free
        :param unique_states: REDUNDANT while a job with this identifier is in one of these states (by name or
            State), e.g. ``("READY", "PROCESSING")``: not while one waits or runs, again once it ended
        """
        job = new_job(callback_name, parameters, default_queue=self.queue, serial_group=serial_group,
                      identifier=identifier, unique=unique, available_at=available_at, delay=delay,
                      priority=priority, queue=queue, concurrency_key=concurrency_key, concurrency=concurrency,
                      rate_key=rate_key, unique_for=unique_for, unique_states=unique_states)  # fmt: skip
        return self.publisher.publish(job, conn)

    def publish_checked(self, jobs: Sequence[NewJob]) -> list[int]:
        """Publish jobs that :func:`~roster.jobs.publisher.new_job` made (and so checked) in one :meth:`bulk`;
        their ids. For a caller that checks every job before publishing any (``roster jobs publish --from-file``)."""
        with self.publisher.bulk() as bulk_ids:
            direct = [self.publisher.publish(job) for job in jobs]  # a unique job's id now, the others' at the end
        later = iter(bulk_ids)
        return [next(later) if job_id is None else job_id for job_id in direct]

    def bulk(self) -> contextlib.AbstractContextManager[list[int]]:
        """Publishes inside are inserted many rows per statement when the block ends; the list yielded is filled
        with their ids then. Unique jobs are inserted one by one (each needs its own race on the unique index)."""
        return self.publisher.bulk()

    def batch(self, name: str, *, on_complete: str | None = None) -> contextlib.AbstractContextManager[Batch]:
        """A batch: ``with queue.batch("nightly-import", on_complete="report") as b: b.publish(...)``. Its jobs are
        inserted when the block ends (as in :meth:`bulk`); once every one of them ended (FINISHED, failed for good
        or cancelled), the callback ``on_complete`` runs once with ``batch={"id", "name", "total", "finished",
        "failed", "cancelled"}`` and the Asset ``roster://batches/<name>`` gets an event (see docs/flow-control.md)."""
        return open_batch(self.publisher, self.queue, name, on_complete)

    def batches(self, limit: int = 50) -> list[dict[str, Any]]:
        """The newest batches of the queue with their progress (jobs per outcome, counted now)."""
        with self.store.reading() as tx:
            return progress(tx, self.queue, limit)

    def announce_batches(self) -> list[str]:
        """Complete the batches whose last check was lost (see :func:`roster.jobs.batches.sweep`), then take the
        completed batches not announced yet, each for one caller: their names, for their Asset events."""
        with self.store.transaction() as tx:
            sweep(tx, self.queue)
        with self.store.transaction() as tx:
            return announce(tx, self.queue)

    def transaction(self) -> contextlib.AbstractContextManager[Any]:
        """A connection in a transaction for your own writes and ``publish(..., conn=conn)``: jobs are sent to the
        broker only after it commits, and never for a rolled-back one."""
        return self.publisher.transaction()

    # -- claiming and processing ------------------------------------------------------------------------------

    def claim(self, *, priorities: str | None = None, batch: int = DEFAULT_CLAIM_BATCH, worker: str | None = None,
              job_ids: Sequence[int] | None = None) -> list[Job]:  # fmt: skip
        """Claim up to ``batch`` READY jobs of the lane (PROCESSING, with a lease); most urgent first, then oldest."""
        low, high = parse_priorities(priorities)
        with self.store.transaction() as tx:
            return claim(tx, ClaimRequest(self.queue, low, high, batch, self.lease_seconds, worker, job_ids))

    def process(
        self, priorities: str | None = None, limit: int | None = None, time_limit: float | None = None,
        memory_limit: float | None = None, *, batch: int | None = None, worker: str | None = None,
        job_ids: Sequence[int] | None = None, handle_signals: bool = False, idle_wait: float = 0.0,
        deadline: Deadline = Deadline(),
    ) -> dict[str, Any]:  # fmt: skip
        """One consumer run: claim and run jobs of the lane until it is empty, ``limit`` jobs ran, ``time_limit``
        seconds passed, RSS exceeds ``memory_limit`` MB, a DieError, SIGTERM or ``stop-consumers``.

        :param batch: jobs per claim; by default adapted to about a second of work (see MAX_CLAIM_BATCH)
        :param job_ids: claim only these (what a broker delivered); jobs already taken or done are not claimed
        :param idle_wait: once the lane is empty, go on looking (every IDLE_POLL_SECONDS) for this many seconds
            before stopping, so jobs published meanwhile start at once; not with ``job_ids``
        :param deadline: the caller's time budget (an operator's, shared by several runs); ``time_limit`` may
            only shorten it
        """
        stops = Limits(limit, time_limit, memory_limit, idle_wait)
        if batch is not None:
            limits.whole("batch", batch, low=0)
        consumer = Consumer(self.consumer_config(), self.store, priorities=priorities, limits=stops, batch=batch,
                            worker=worker, job_ids=job_ids, deadline=deadline)  # fmt: skip
        return consumer.run(handle_signals).to_dict()

    def consumer_config(self) -> ConsumerConfig:
        """The settings a consumer run is given, frozen: the queue's, and its hooks with the listeners added."""
        listeners = self.listeners.with_(before=self.on_before_process, after=self.on_after_process,
                                         error=self.on_error, notify=self.on_notify)  # fmt: skip
        return ConsumerConfig(self.queue, self.lease_seconds, self.max_attempts, self.notify_on_attempts,
                              self.waiting_seconds, listeners)  # fmt: skip

    def listen(self, **listeners: Callable) -> None:
        """Add listeners to every run from now on: ``before=f(job)``, ``after=f(job, result)``,
        ``error=f(job, exc)``, ``notify=f(job, exc)`` (see :class:`~roster.jobs.config.Listeners`)."""
        self.listeners = self.listeners.with_(**listeners)

    def stop_consumers(self) -> None:
        """Ask every consumer running now to stop after its current job (like ``messenger:stop-workers``)."""
        self.admin.stop_consumers()

    # -- maintenance ------------------------------------------------------------------------------------------

    def rescue_expired(self) -> dict[str, int]:
        """PROCESSING jobs past their lease (their consumer died): READY again, or PERMANENTLY_FAILED once they
        used ``max_attempts``; the reason goes to error_message."""
        return Rescuer(self.store, self.queue, self.max_attempts).run_once()

    def clear_finished(self, days: float = 14) -> int:
        """Delete FINISHED, REDUNDANT and CANCELLED jobs finished more than ``days`` ago, in small batches."""
        return Cleaner(self.store, self.queue).run_once(days)

    def rebroker(self, batch: int = 500) -> dict[str, int]:
        """Send BACK_TO_BROKER and BROKER_FAILED jobs to the broker again (READY once sent)."""
        return Rebroker(self.store, self.queue, self.broker).run_once(batch)

    # -- admin ------------------------------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Counts per queue and state, per lane (pools.json) for READY jobs, and the age of the oldest READY job."""
        return self.admin.stats()

    def failed(self, ids: Sequence[int] | None = None) -> list[dict[str, Any]]:
        return self.admin.failed(ids)

    def superseded(self) -> int:
        """Outcomes of stale claims discarded so far (a consumer stalled past its lease; see roster.jobs.fencing)."""
        with self.store.transaction() as tx:
            return fencing.total(tx)

    def require_table(self) -> None:
        """:class:`NoJobTableError` unless the job table exists and has every upgrade: what the read-only views
        call first, so that looking never creates nor upgrades it (a publish, a consumer or ``update_schema`` does)."""
        if (problem := self.store.unreadable()) is not None:
            raise NoJobTableError(problem)

    def retry(self, ids: Sequence[int] | None) -> int:
        """PERMANENTLY_FAILED jobs (these ids, or all for ``None``) back to READY with a fresh attempt count."""
        return self.admin.retry(ids)

    def remove(self, ids: Sequence[int] | None) -> int:
        """Delete PERMANENTLY_FAILED jobs (these ids, or all for ``None``)."""
        return self.admin.remove(ids)

    def cancel(self, ids: Sequence[int] = (), *, identifier: str | None = None) -> dict[str, int]:
        """Cancel jobs by id, or every job of this queue with ``identifier``: READY, WAITING, TEMPORARILY_FAILED
        (and broker-bound) jobs become CANCELLED at once and are never claimed; PROCESSING ones are flagged, their
        callback can see ``current_job().cancel_requested``, and a run of theirs that does not finish ends
        CANCELLED. Returns ``{"cancelled": n, "cancel_requested": m}``."""
        return self.admin.cancel(ids, identifier)

    def ready_count(self, priorities: str | None = None) -> int:
        """How many jobs of the lane a consumer could claim now."""
        return self.admin.ready_count(priorities)

    def unfinished_identifiers(self, identifiers: Sequence[str]) -> list[str]:
        """Which of these identifiers still have a job to come (not FINISHED, REDUNDANT, PERMANENTLY_FAILED or
        CANCELLED)."""
        return self.admin.unfinished_identifiers(identifiers)


__all__ = [
    "DEFAULT_CLAIM_BATCH", "FINISHED_STATES", "Job", "JobQueue", "ProcessSummary", "UNFINISHED", "backoff",
    "dumps_parameters", "utcnow",
]  # fmt: skip
