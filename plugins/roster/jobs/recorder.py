"""FINISHED records of a consumer run, written in batches but never far behind.

A consumer records finished jobs in the transaction of its next claim (one commit for both). Should it be killed
(SIGKILL, OOM) first, the jobs finished but not recorded run again after their lease expires. Two things bound
that, whatever the timing:

- this thread writes the records on a connection of its own once KEEP_JOBS wait holding RECORD_MS of run time
  (woken at once) or the oldest of them finished RECORD_AFTER ago, and any record FLUSH_SECONDS after its job;
- the consumer never starts a job while MAX_UNRECORDED records holding UNRECORDED_MS of run time are unwritten
  (waiting here, or being written): should this thread fall behind (a starved thread on a busy machine, a slow or
  unreachable database), the consumer writes them itself first, retrying through an outage rather than running
  more.

So a killed consumer re-runs at most the job in hand plus 8 finished ones, or, of jobs shorter than a millisecond
or so, their last UNRECORDED_MS of run time: such jobs are recorded by the next claim, as a commit costs more
than they do.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

import orjson

from roster.jobs import fencing
from roster.jobs.outcomes import Finished
from roster.jobs.states import State
from roster.jobs.store import Store, Tx, ts, utcnow

if TYPE_CHECKING:
    from roster.jobs.fencing import Fence
    from roster.jobs.lease import LeaseKeeper

log = logging.getLogger("roster.jobs")

KEEP_JOBS = 5
RECORD_MS = 5  # run time of the jobs waiting, at which this thread writes them at once
RECORD_AFTER = 0.05  # seconds: or once the oldest of KEEP_JOBS waiting finished this long ago
MAX_UNRECORDED = 9  # finished but not yet recorded: a consumer writes them itself before it runs another job...
UNRECORDED_MS = 10  # ... when they hold this much run time (no-op jobs are cheaper to re-run than to commit)
TICK = 0.02
FLUSH_SECONDS = 1.0  # even one finished job is recorded this long after it finished


def write_finished(tx: Tx, finished: list[Finished]) -> int:
    """Mark the jobs FINISHED in one statement; how many were still ours (PROCESSING)."""
    if not finished:
        return 0
    return tx.run("finish", rows=orjson.dumps([outcome.row() for outcome in finished]).decode(), now=ts(utcnow()))


class Recorder:
    """The FINISHED records of one consumer run; whoever writes them (this thread, or the consumer in its claim's
    transaction) hands the result to :meth:`written`, which settles them, reports those a newer claim kept to the
    run's :class:`~roster.jobs.fencing.Fence` and lets go of their leases."""

    def __init__(self, store: Store, lease: LeaseKeeper, fence: Fence) -> None:
        self.store = store
        self.lease = lease
        self.fence = fence
        self.pending: list[Finished] = []
        self.pending_ms = 0  # run time of the pending jobs
        self.in_flight = 0  # records taken by a writer (this thread or the consumer) and not yet settled
        self.in_flight_ms = 0
        self.oldest = 0.0  # time.monotonic() when the oldest pending job finished
        self.lock = threading.Lock()
        self.settled_now = threading.Condition(self.lock)
        self.wake = threading.Event()
        self.stopped = threading.Event()
        self.failing = False
        self.batches: set[int] = set()  # batches of jobs whose end was committed: to check for completion
        self.thread = threading.Thread(target=self._run, name="roster-job-recorder", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()
        self.wake.set()
        self.thread.join(timeout=10)

    def add(self, outcome: Finished) -> None:
        with self.lock:
            self.oldest = self.oldest if self.pending else time.monotonic()
            self.pending.append(outcome)
            self.pending_ms += outcome.ms
            if len(self.pending) >= KEEP_JOBS and self.pending_ms >= RECORD_MS:
                self.wake.set()

    def take(self) -> list[Finished]:
        """The records waiting, for the caller to write; it calls :meth:`settle` (or :meth:`give_back`) after."""
        with self.lock:
            taken, self.pending = self.pending, []
            self.in_flight += len(taken)
            self.in_flight_ms += self.pending_ms
            self.pending_ms = 0
            return taken

    def settle(self, finished: list[Finished]) -> None:
        """The write of ``finished`` (taken) is over: committed, or lost with the caller's transaction."""
        with self.lock:
            self._settled(finished)

    def give_back(self, finished: list[Finished], oldest: float) -> None:
        with self.lock:
            self.pending = finished + self.pending
            self.pending_ms += sum(f.ms for f in finished)
            self.oldest = oldest
            self._settled(finished)

    def _settled(self, finished: list[Finished]) -> None:
        self.in_flight -= len(finished)
        self.in_flight_ms -= sum(f.ms for f in finished)
        self.settled_now.notify_all()

    def ended_in_batches(self, batch_ids) -> None:
        """Jobs of these batches ended (committed): their batches are checked by the consumer's next claim."""
        with self.lock:
            self.batches.update(batch_id for batch_id in batch_ids if batch_id is not None)

    def take_batches(self) -> set[int]:
        with self.lock:
            taken, self.batches = self.batches, set()
            return taken

    def over_bound(self) -> bool:
        """Whether the unrecorded records (waiting or being written) reach the bound a consumer keeps."""
        with self.lock:
            count = len(self.pending) + self.in_flight
            return count >= MAX_UNRECORDED and self.pending_ms + self.in_flight_ms >= UNRECORDED_MS

    def waiting(self) -> bool:
        with self.lock:
            return bool(self.pending)

    def wait_settled(self, timeout: float) -> None:
        with self.lock:
            if self.in_flight:
                self.settled_now.wait(timeout)

    def _due(self) -> bool:
        with self.lock:
            age = time.monotonic() - self.oldest
            many = len(self.pending) >= KEEP_JOBS and (age >= RECORD_AFTER or self.pending_ms >= RECORD_MS)
            return bool(self.pending) and (many or age >= FLUSH_SECONDS)

    def _run(self) -> None:
        while not self.stopped.is_set():
            self.wake.wait(TICK)
            self.wake.clear()
            if self._due() and not self.stopped.is_set():
                oldest = self.oldest
                self.write(self.take(), oldest)

    def write(self, finished: list[Finished], oldest: float) -> None:
        try:
            with self.store.transaction() as tx:
                recorded = write_finished(tx, finished)
        except Exception as exc:  # the next claim or write takes them; a lost record only risks a second run
            self.give_back(finished, oldest)
            if not self.failing:
                log.warning("could not record %d finished job(s) yet: %s", len(finished), exc)
            self.failing = True
            return
        self.failing = False
        self.written(finished, recorded)

    def written(self, finished: list[Finished], recorded: int) -> None:
        """``finished`` (taken) were written and ``recorded`` of them matched: the others had been rescued."""
        self.settle(finished)
        self.ended_in_batches(outcome.batch_id for outcome in finished)
        if len(finished) != recorded:
            claims = {outcome.job_id: outcome.claim_id for outcome in finished}
            self.fence.discard(lambda tx: fencing.superseded(tx, claims, State.FINISHED), "the FINISHED record")
        self.lease.release(outcome.job_id for outcome in finished)
