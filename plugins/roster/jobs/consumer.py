"""One consumer run (``JobQueue.process``): claim and run jobs of a lane until it is empty or a limit is reached.

A :class:`Consumer` lives for one run and owns what the run needs: its database connection, its lease thread, its
limits and why it stopped. FINISHED outcomes are recorded in batches, in the next claim's transaction (one commit
for both), or by its :class:`~roster.jobs.recorder.Recorder` thread when they would wait too long; any other
outcome at once.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import psutil

from roster.jobs import batches, fencing
from roster.jobs.attempts import record_failure
from roster.jobs.claim import ClaimRequest, claim
from roster.jobs.config import ConsumerConfig, Deadline, Limits
from roster.jobs.connection import HeldConnection
from roster.jobs.lanes import parse_priorities
from roster.jobs.lease import LeaseKeeper, by_claim
from roster.jobs.model import Job, backoff
from roster.jobs.outcomes import Failed, Finished, ProcessSummary
from roster.jobs.pause import lane_of, paused_in
from roster.jobs.recorder import Recorder, write_finished
from roster.jobs.runner import run_job
from roster.jobs.states import State
from roster.jobs.store import Tx, ts, utcnow

if TYPE_CHECKING:
    from roster.jobs.store import Store

log = logging.getLogger("roster.jobs")

# Jobs claimed per round trip, adapted to the jobs' speed: a claim costs a few statements and a commit, so fast
# jobs are claimed many at once (up to MAX_CLAIM_BATCH); but a consumer should not sit on more than about
# TARGET_BATCH_SECONDS of work that other consumers of the lane could be doing, nor make a newly published urgent
# job wait behind a long batch, so slow jobs are claimed one at a time. The first claim takes DEFAULT_CLAIM_BATCH.
DEFAULT_CLAIM_BATCH = 10
MAX_CLAIM_BATCH = 100
TARGET_BATCH_SECONDS = 1.0
IDLE_POLL_SECONDS = 0.25  # how often an idle consumer (idle_wait) looks for new jobs: one indexed read each time
PROMOTE_EVERY_SECONDS = 1.0
CONTROL_EVERY_SECONDS = 1.0  # how long the stop-consumers timestamp is cached


class Consumer:
    """One run: ``config`` and ``store`` are given (built once by the JobQueue); ``deadline`` is the caller's time
    budget, which ``limits.time_limit`` can only shorten."""

    def __init__(self, config: ConsumerConfig, store: Store, *, priorities: str | None, limits: Limits,
                 batch: int | None = None, worker: str | None = None, job_ids: Sequence[int] | None = None,
                 deadline: Deadline = Deadline()) -> None:  # fmt: skip
        self.config = config
        self.store = store
        self.limits = limits
        self.low, self.high = parse_priorities(priorities)
        self.lane = priorities or "0-"  # named in each job's start and end log lines
        self.worker = worker
        self.pending_ids = list(job_ids) if job_ids is not None else None
        self.adaptive = batch is None
        self.size = batch or DEFAULT_CLAIM_BATCH
        self.summary = ProcessSummary()
        self.started = time.monotonic()
        self.started_at = utcnow()
        self.stop_requested: str | None = None  # "signal" or "die"
        self.lease = LeaseKeeper(store, config.lease_seconds)
        self.deadline = deadline.earliest(Deadline.after(limits.time_limit))
        self.fence = fencing.Fence(store, worker, self.deadline)
        self.recorder = Recorder(store, self.lease, self.fence)
        self.promoted_at = float("-inf")
        self.control_read_at, self.stop_consumers_at = float("-inf"), None
        self.own_lanes, self.paused = lane_of(self.low, self.high), False
        self.process = psutil.Process()
        self.db = HeldConnection(self.store, self.deadline)

    def run(self, handle_signals: bool = False) -> ProcessSummary:
        previous = None
        if handle_signals and threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGTERM, self._on_sigterm)
        self.lease.start()
        self.recorder.start()
        try:
            self._loop()
            self.recorder.stop()
            self._flush()
            self._complete_batches()
        finally:
            self.recorder.stop()
            self.lease.stop()
            self.db.close()
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
        self.summary.seconds = time.monotonic() - self.started
        self.summary.superseded = self.fence.superseded  # the recorder thread has stopped: the total is final
        return self.summary

    def _on_sigterm(self, signum, frame) -> None:
        log.warning("SIGTERM: stopping after the current job")
        self.stop_requested = self.stop_requested or "signal"

    def _loop(self) -> None:
        idle_since: float | None = None
        while not self._stopped(self.limits.limit):
            if self.limits.limit is not None:
                self.size = max(1, min(self.size, self.limits.limit - self.summary.claimed))
            jobs = self._claim()
            if self._complete_batches() and not jobs:
                continue  # a batch completed: its on_complete job may be this lane's
            if not jobs:
                now = time.monotonic()
                idle_since = now if idle_since is None else idle_since
                if self.pending_ids is None and now - idle_since < self.limits.idle_wait:
                    time.sleep(min(IDLE_POLL_SECONDS, self.limits.idle_wait - (now - idle_since)))
                    continue
                self.summary.stopped_by = "empty"
                return
            idle_since = None
            self._run_batch(jobs)
            if self.pending_ids is not None and not self.pending_ids:
                self.summary.stopped_by = "empty"
                return

    def _stopped(self, limit: int | None) -> bool:
        reason = self.stop_reason(limit)
        if reason:
            self.summary.stopped_by = reason
        return reason is not None

    def stop_reason(self, limit: int | None) -> str | None:
        if self.stop_requested:
            return self.stop_requested
        if limit is not None and self.summary.claimed >= limit:
            return "limit"
        if self.deadline.passed():
            return "time_limit"
        memory_limit = self.limits.memory_limit
        if memory_limit is not None and self.process.memory_info().rss >= memory_limit * 1024 * 1024:
            return "memory_limit"
        stop_at = self._stop_consumers_at()
        if stop_at is not None and stop_at >= self.started_at:
            return "stop_consumers"
        return "paused" if self.paused else None

    def _stop_consumers_at(self) -> datetime | None:
        # Checked between jobs: one read of the control table (a few rows), cached for a second so no-op jobs stay
        # cheap; it also says whether the consumer's lane is paused (roster.jobs.pause).
        if time.monotonic() - self.control_read_at >= CONTROL_EVERY_SECONDS:
            self.control_read_at = time.monotonic()
            controls = dict(self.db.run(lambda tx: tx.rows("control_all")))
            value = controls.get("stop_consumers")
            self.stop_consumers_at = datetime.fromisoformat(value) if isinstance(value, str) else value
            self.paused = any(lane in paused_in(controls.items()) for lane in self.own_lanes)
        return self.stop_consumers_at

    def _claim(self) -> list[Job]:
        """The next batch, in one transaction with the FINISHED records of the previous one."""
        request = ClaimRequest(self.config.queue, self.low, self.high, self.size, self.config.lease_seconds,
                               self.worker, self.pending_ids)  # fmt: skip
        finished = self.recorder.take()

        def work(tx: Tx) -> tuple[int, list[Job]]:
            recorded = write_finished(tx, finished)
            if time.monotonic() - self.promoted_at >= PROMOTE_EVERY_SECONDS:
                tx.run("promote_due", now=ts(utcnow()), queue=self.config.queue)
                self.promoted_at = time.monotonic()
            return recorded, claim(tx, request)

        try:
            recorded, jobs = self.db.run(work)
        except BaseException:
            self.recorder.settle(finished)  # lost with the transaction: they run again after their lease
            raise
        self.recorder.written(finished, recorded)
        if self.pending_ids is not None:
            claimed = {job.id for job in jobs}
            self.pending_ids = [i for i in self.pending_ids if i not in claimed]
        self.summary.claimed += len(jobs)
        self.lease.hold((job.id, job.claim_id) for job in jobs)
        return jobs

    def _run_batch(self, jobs: list[Job]) -> None:
        batch_started = time.monotonic()
        for index, job in enumerate(jobs):
            if index and self._stopped(None):
                self._release(jobs[index:])
                break
            self._bound_unrecorded()
            log.info("job %d (%s) started in lane %s, attempt %d", job.id, job.callback_name, self.lane,
                     job.number_of_attempts)  # fmt: skip
            outcome = run_job(job, self.store, self.config.listeners)
            if isinstance(outcome, Finished):
                log.info("job %d (%s) in lane %s: %s in %d ms", job.id, job.callback_name, self.lane,
                         "FINISHED" if outcome.metadata is None else "FINISHED (skipped)", outcome.ms)  # fmt: skip
                self._add_finished(outcome)
            else:
                self._record_failure(outcome)
        if self.adaptive:
            per_job = (time.monotonic() - batch_started) / len(jobs)
            self.size = max(1, min(MAX_CLAIM_BATCH, int(TARGET_BATCH_SECONDS / max(per_job, 1e-4))))

    def _complete_batches(self) -> bool:
        """Check the batches whose jobs this run ended (committed before): the last one completes its batch."""
        ended = self.recorder.take_batches()
        return bool(ended) and bool(self.db.run(lambda tx: batches.complete(tx, ended)))

    def _add_finished(self, outcome: Finished) -> None:
        self.summary.finished += outcome.metadata is None
        self.summary.skipped += outcome.metadata is not None
        self.recorder.add(outcome)

    def _flush(self) -> None:
        finished = self.recorder.take()
        try:
            recorded = self.db.run(lambda tx: write_finished(tx, finished)) if finished else 0
        except BaseException:
            self.recorder.settle(finished)
            raise
        self.recorder.written(finished, recorded)

    def _bound_unrecorded(self) -> None:
        """Run no job while the unrecorded finished jobs reach the recorder's bound (a crash re-runs them): write
        those waiting here, or wait for the recorder's write in progress (its failure hands them back)."""
        while self.recorder.over_bound():
            if self.recorder.waiting():
                self._flush()
            else:
                self.recorder.wait_settled(0.05)

    def _record_failure(self, failed: Failed) -> None:
        job, now = failed.job, utcnow()
        state, available_at, uncount = failed.next_state(now, self.config.waiting_seconds, self.config.max_attempts)
        if failed.die:
            self.stop_requested = "die"
        self.summary.count_failure(failed, state, self.lane)
        if state is not State.WAITING:
            self.config.listeners.tell("error", job, failed.error)
        params = {"state": int(state), "error": failed.message, "available_at": ts(available_at), "ms": failed.ms,
                  "memory": failed.memory, "uncount": uncount, "now": ts(now), "id": job.id,
                  "claim_id": job.claim_id}  # fmt: skip

        def write(tx: Tx) -> int:
            changed = tx.run("fail", **params)
            if changed == 1 and state is not State.WAITING:  # the story keeps failures; waits are not attempts
                record_failure(tx, failed, state, now, self.worker)
            return changed

        if self.db.run(write) != 1:
            self.fence.discard(lambda tx: fencing.superseded(tx, {job.id: job.claim_id}), f"the {state.name} outcome")
        self.lease.release([job.id])
        self.recorder.ended_in_batches([job.batch_id] if state is State.PERMANENTLY_FAILED else [])
        if state is State.WAITING:
            log.info("job %d (%s) in lane %s: WAITING in %d ms: %s", job.id, job.callback_name, self.lane, failed.ms,
                     failed.message)  # fmt: skip
        else:
            self._report(failed, state)

    def _report(self, failed: Failed, state: State) -> None:
        job = failed.job
        if state is State.TEMPORARILY_FAILED and job.number_of_attempts >= self.config.notify_on_attempts:
            log.error("job %d (%s) failed %d times, retrying in %s: %s", job.id, job.callback_name,
                      job.number_of_attempts, backoff(job.number_of_attempts), failed.message)  # fmt: skip
            self.config.listeners.tell("notify", job, failed.error)
        else:
            log.warning("job %d (%s) in lane %s: %s in %d ms: %s", job.id, job.callback_name, self.lane, state.name,
                        failed.ms, failed.message)  # fmt: skip

    def _release(self, jobs: Sequence[Job]) -> None:
        """Hand back jobs claimed but not started (a graceful stop)."""
        ids, now = [job.id for job in jobs], ts(utcnow())
        for claim_id, claimed in by_claim((job.id, job.claim_id) for job in jobs).items():
            self.summary.released += self.db.run(lambda tx: tx.run("release", ids=claimed, now=now, claim_id=claim_id))
        self.lease.release(ids)
