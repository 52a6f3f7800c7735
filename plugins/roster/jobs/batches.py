"""Batches: jobs published together (``with queue.batch("nightly-import", on_complete="report") as b``) whose end
runs ``on_complete`` once, with the counts, and is announced as an Airflow Asset event (``roster://batches/<name>``).

A batch row (``background_job_batch``) is opened, its jobs carry its id, and it is sealed in the transaction that
inserts them (``batch_seal.sql``), so it never completes half published. Whoever ends one of its jobs checks it
after committing (the consumer, with its next claim): ``batch_complete.sql`` is one conditional UPDATE that matches
only while none of its jobs is unfinished and it has not completed, so of consumers ending its last jobs at once
exactly one completes it (the last to commit sees every outcome), and publishes ``on_complete`` in that same
transaction. A consumer killed between its outcome and its check leaves the batch to :func:`sweep` (the maintenance
and announce tasks run it). :func:`announce` hands each completed batch to one Airflow task, which emits its
Asset event (roster.operators.batches).
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from roster.errors import InvalidOptionError
from roster.jobs import registry
from roster.jobs.model import NewJob, dumps_parameters
from roster.jobs.publisher import new_job
from roster.jobs.states import State
from roster.jobs.store import Tx, ts, utcnow

if TYPE_CHECKING:
    from roster.jobs.publisher import Publisher

log = logging.getLogger("roster.jobs")

ASSET_PREFIX = "roster://batches/"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,190}$")


def asset_uri(name: str) -> str:
    """The Airflow Asset a batch of this name announces: ``roster://batches/<name>``."""
    return ASSET_PREFIX + name


def check_name(name: Any) -> str:
    """A batch name: letters, digits, ``.``, ``_``, ``-`` (it is the last part of its Asset's URI)."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidOptionError(
            f"batch name must be 1-191 letters, digits, '.', '_' or '-' (it names the Asset roster://batches/<name>), "
            f"got {name!r}"[:300]
        )
    return name


@dataclass(frozen=True)
class CompletedBatch:
    """A batch as it completed: what ``on_complete`` receives as its ``batch`` parameter."""

    id: int
    name: str
    total: int
    finished: int
    failed: int
    cancelled: int

    def counts(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Batch:
    """The handle of a ``queue.batch()`` block: :meth:`publish` adds a job to the batch; ``ids`` is filled when the
    block ends (unique jobs' ids come back from publish at once, as in ``bulk()``)."""

    publisher: Publisher
    queue: str
    id: int
    name: str
    ids: list[int] = field(default_factory=list)

    def publish(self, callback_name: str, parameters: dict[str, Any] | None = None, **options: Any) -> int | None:
        """Like ``JobQueue.publish`` (the same keyword arguments), into this batch."""
        job = new_job(callback_name, parameters, default_queue=self.queue, batch_id=self.id, **options)
        return self.publisher.publish(job)


@contextlib.contextmanager
def open_batch(publisher: Publisher, queue: str, name: str, on_complete: str | None) -> Iterator[Batch]:
    """Open a batch, yield its handle, and seal it with its jobs when the block ends (dropped if the block fails)."""
    check_name(name)
    if on_complete is not None:
        registry.get(on_complete).check_parameters({"batch": CompletedBatch(0, name, 0, 0, 0, 0).counts()})
    store = publisher.store
    with store.transaction() as tx:
        tx.run("batch_open", name=name, queue=queue, on_complete=on_complete, now=ts(utcnow()))
        batch = Batch(publisher, queue, tx.lastrowid, name)
    try:
        with publisher.bulk(then=lambda tx: tx.run("batch_seal", id=batch.id, now=ts(utcnow()))) as ids:
            batch.ids = ids
            yield batch
    except BaseException:
        with store.transaction() as tx:
            tx.run("batch_drop", id=batch.id)
        raise
    with store.transaction() as tx:
        complete(tx, [batch.id])  # an empty batch, or one of unique twins that had all ended


def complete(tx: Tx, batch_ids: Iterable[int]) -> list[CompletedBatch]:
    """Complete those of ``batch_ids`` whose jobs all ended (each once, whoever races): record their counts and
    publish their ``on_complete`` job in ``tx``."""
    completed = []
    now = ts(utcnow())
    for batch_id in sorted(set(batch_ids)):
        if tx.run("batch_complete", id=batch_id, now=now) != 1:
            continue
        per_state = {State(state): count for state, count in tx.rows("batch_counts", id=batch_id)}
        _, name, queue, on_complete, total = tx.rows("batch_get", id=batch_id)[0]
        done = CompletedBatch(
            id=batch_id, name=name, total=total, finished=per_state.get(State.FINISHED, 0),
            failed=per_state.get(State.PERMANENTLY_FAILED, 0),
            cancelled=per_state.get(State.CANCELLED, 0) + per_state.get(State.REDUNDANT, 0),
        )  # fmt: skip
        tx.run("batch_record", id=batch_id, finished=done.finished, failed=done.failed, cancelled=done.cancelled)
        if on_complete is not None:
            tx.run("insert", **_on_complete_job(on_complete, done, queue).insert_params(now))
        log.info("batch %d (%s) complete: %s", batch_id, name, done.counts())
        completed.append(done)
    return completed


def _on_complete_job(on_complete: str, done: CompletedBatch, queue: str) -> NewJob:
    """The ``on_complete`` job; published even where its callback is not registered (a consumer loading other
    modules than the publisher did): the batch completes once, and its consumers run it."""
    parameters = {"batch": done.counts()}
    try:
        return new_job(on_complete, parameters, default_queue=queue, identifier=f"batch-{done.id}")
    except InvalidOptionError as exc:
        log.warning("batch %d (%s): on_complete %s published unchecked here: %s", done.id, done.name, on_complete, exc)
        return NewJob(queue, registry.DEFAULT_PRIORITY, on_complete, dumps_parameters(parameters),
                      identifier=f"batch-{done.id}")  # fmt: skip


def sweep(tx: Tx, queue: str) -> list[CompletedBatch]:
    """Complete the queue's sealed batches whose jobs all ended without a check (a killed consumer, a cancel)."""
    return complete(tx, [row[0] for row in tx.rows("batch_open_ids", queue=queue)])


def announce(tx: Tx, queue: str) -> list[str]:
    """Take the completed batches of the queue not announced yet (each by one caller): their names."""
    names = []
    now = ts(utcnow())
    for batch_id, name in tx.rows("batch_unannounced", queue=queue):
        if tx.run("batch_announce", id=batch_id, now=now) == 1:
            names.append(name)
    return names


def progress(tx: Tx, queue: str, limit: int = 50) -> list[dict[str, Any]]:
    """The newest batches of the queue with their jobs per outcome, counted now."""
    keys = ("id", "name", "on_complete", "total", "created_at", "sealed_at", "completed_at", "announced_at",
            "finished", "failed", "cancelled", "unfinished")  # fmt: skip
    found = []
    for row in tx.rows("batch_progress", queue=queue, limit=int(limit)):
        item = dict(zip(keys, row))
        for key in ("created_at", "sealed_at", "completed_at", "announced_at"):
            value = item[key]
            item[key] = value.isoformat(" ") if hasattr(value, "isoformat") else value
        item.update({key: int(item[key]) for key in ("finished", "failed", "cancelled", "unfinished")})
        item["state"] = "complete" if item["completed_at"] else ("running" if item["sealed_at"] else "publishing")
        item["asset"] = asset_uri(item["name"])
        found.append(item)
    return found
