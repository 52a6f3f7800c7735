"""FINISHED records of a consumer run, written in batches but never far behind.

A consumer records finished jobs in the transaction of its next claim (one commit for both). Should it be killed
(SIGKILL, OOM) first, the jobs finished but not recorded run again after their lease expires. This thread bounds
that: once KEEP_JOBS records wait and the oldest finished RECORD_AFTER seconds ago, it writes them on a connection
of its own. So a killed consumer re-runs at most the job in hand plus the jobs finished in about the
last 100 ms, or 5 jobs, whichever is more. Fast jobs are still recorded by the claims (a batch of no-op jobs takes
less than RECORD_AFTER), so the thread rarely writes and throughput stays as it was.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import orjson

from roster.jobs.outcomes import Finished
from roster.jobs.store import Store, Tx, ts, utcnow

log = logging.getLogger("roster.jobs")

KEEP_JOBS = 5
RECORD_AFTER = 0.05  # seconds; with the tick and a commit, records are written within about 100 ms
TICK = 0.02
FLUSH_SECONDS = 1.0  # even one finished job is recorded this long after it finished


def write_finished(tx: Tx, finished: list[Finished]) -> int:
    """Mark the jobs FINISHED in one statement; how many were still ours (PROCESSING)."""
    if not finished:
        return 0
    return tx.run("finish", rows=orjson.dumps([outcome.row() for outcome in finished]).decode(), now=ts(utcnow()))


class Recorder:
    def __init__(self, store: Store, on_recorded: Callable[[list[Finished], int], None]) -> None:
        self.store = store
        self.on_recorded = on_recorded
        self.pending: list[Finished] = []
        self.oldest = 0.0  # time.monotonic() when the oldest pending job finished
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.failing = False
        self.thread = threading.Thread(target=self._run, name="roster-job-recorder", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=10)

    def add(self, outcome: Finished) -> None:
        with self.lock:
            self.oldest = self.oldest if self.pending else time.monotonic()
            self.pending.append(outcome)

    def take(self) -> list[Finished]:
        """The records waiting, for the caller to write (they are no longer this thread's)."""
        with self.lock:
            taken, self.pending = self.pending, []
            return taken

    def give_back(self, finished: list[Finished], oldest: float) -> None:
        with self.lock:
            self.pending = finished + self.pending
            self.oldest = oldest

    def _due(self) -> bool:
        with self.lock:
            age = time.monotonic() - self.oldest
            return bool(self.pending) and (age >= FLUSH_SECONDS or (len(self.pending) >= KEEP_JOBS and age >= RECORD_AFTER))

    def _run(self) -> None:
        while not self.stopped.wait(TICK):
            if self._due():
                oldest = self.oldest
                self.write(self.take(), oldest)

    def write(self, finished: list[Finished], oldest: float) -> None:
        try:
            with self.store.transaction() as tx:
                recorded = write_finished(tx, finished)
        except Exception as exc:  # the next claim or tick writes them; a lost record only risks a second run
            self.give_back(finished, oldest)
            if not self.failing:
                log.warning("could not record %d finished job(s) yet: %s", len(finished), exc)
            self.failing = True
            return
        self.failing = False
        self.on_recorded(finished, recorded)
