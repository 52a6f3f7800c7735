"""Fencing: every write a consumer makes for a job it claimed (its outcome, a lease renewal, a release) matches the
claim that took it (``claim_id``, random, stamped by ``claim_mark``). A consumer stalled past its lease (a long GC
pause, a starved CPU, SIGSTOP) may find its job rescued and claimed again by another consumer: its late write then
changes nothing, the row stays the newest claim's, and the discarded outcome is logged and counted here
(``superseded``: ``roster jobs stats``, the Roster page, the ``roster.jobs.superseded`` counter)."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from roster.jobs.config import Deadline
from roster.jobs.connection import HeldConnection
from roster.jobs.states import State
from roster.jobs.store import Tx

if TYPE_CHECKING:
    from roster.jobs.store import Store

log = logging.getLogger("roster.jobs")

SUPERSEDED = "superseded"  # the counter's name


@dataclass(frozen=True)
class Holder:
    """Where a job stands after a consumer's write for it matched nothing."""

    job_id: int
    state: State
    claim_id: int | None
    worker: str | None
    hostname: str | None
    pid: int | None

    def describe(self) -> str:
        holder = f"worker {self.worker or '-'} on {self.hostname or '-'} pid {self.pid or '-'}"
        if self.state is State.PROCESSING:
            return f"it was rescued and is now run by {holder}"
        if self.state is State.READY:
            return "it was rescued and waits to run again"
        return f"it was rescued and is {self.state.name} (its newest claim: {holder})"


def me(worker: str | None) -> str:
    """This consumer, as the log names it."""
    return f"worker {worker or '-'} on {socket.gethostname()} pid {os.getpid()}"


def superseded(tx: Tx, claims: Mapping[int, int], written: State | None = None) -> list[Holder]:
    """The jobs of ``claims`` (job id -> our claim id) whose row is not our write's. ``written``: the state our
    write set (a batch of which some rows matched); None when the write matched nothing."""
    rows = tx.rows("claim_holders", ids=list(claims))
    holders = [Holder(int(row[0]), State(int(row[1])), row[2], row[3], row[4], row[5]) for row in rows]
    return [h for h in holders if written is None or not (h.claim_id == claims[h.job_id] and h.state is written)]


def count(tx: Tx, holders: Iterable[Holder], consumer: str, what: str) -> int:
    """Log each discarded outcome (job id, this consumer, the one holding the job now) and add them up."""
    holders = list(holders)
    for holder in holders:
        log.warning("job %d: %s of %s was discarded: %s", holder.job_id, what, consumer, holder.describe())
    if holders:
        tx.run("counter_add", name=SUPERSEDED, count=len(holders))
    return len(holders)


def total(tx: Tx) -> int:
    """Outcomes discarded so far, on this database."""
    found = tx.rows("counter_get", name=SUPERSEDED)
    return int(found[0][0]) if found else 0


class Fence:
    """One consumer run's discarded outcomes: its thread (failures) and its recorder thread (FINISHED records)
    both report here; ``superseded`` is the run's total."""

    def __init__(self, store: Store, worker: str | None, deadline: Deadline = Deadline()) -> None:
        """:param deadline: the run's: until then, a lost connection is waited out as for every other write"""
        self.store = store
        self.deadline = deadline
        self.consumer = me(worker)
        self.superseded = 0
        self.lock = threading.Lock()

    def discard(self, find: Callable[[Tx], list[Holder]], what: str) -> None:
        """Log and count the outcomes ``find`` names as not written, on a connection of its own (both threads call
        this), which rides through a lost connection like the consumer's own."""
        db = HeldConnection(self.store, self.deadline)
        try:
            discarded = db.run(lambda tx: count(tx, find(tx), self.consumer, what))
        finally:
            db.close()
        with self.lock:
            self.superseded += discarded
