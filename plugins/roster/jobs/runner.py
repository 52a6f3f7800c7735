"""Run one claimed job's callback and say what it came to; :func:`current_job` for the callback itself."""

from __future__ import annotations

import contextlib
import contextvars
import resource
import time
from collections.abc import Iterator
from dataclasses import dataclass

import orjson

from roster.errors import RosterError
from roster.jobs import registry
from roster.jobs.config import Listeners
from roster.jobs.outcome_errors import DieError, SkipJob
from roster.jobs.model import Job
from roster.jobs.outcomes import Failed, Finished
from roster.jobs.store import Store


@dataclass(frozen=True)
class RunningJob:
    """The job a callback runs in, from :func:`current_job`."""

    job: Job
    store: Store

    @property
    def id(self) -> int:
        return self.job.id

    @property
    def cancel_requested(self) -> bool:
        """Whether ``cancel()`` asked for this job since it was claimed (one primary-key read per call): a long
        callback checks it now and then and returns (FINISHED) or raises (then CANCELLED) early."""
        with self.store.transaction() as tx:
            found = tx.rows("cancel_requested", id=self.job.id)
        return bool(found and found[0][0])


_CURRENT: contextvars.ContextVar[RunningJob | None] = contextvars.ContextVar("roster_current_job", default=None)


def current_job() -> RunningJob:
    """The job whose callback is running (in the consumer's thread)."""
    running = _CURRENT.get()
    if running is None:
        raise RosterError("current_job() is only available inside a job callback")
    return running


@contextlib.contextmanager
def _running(job: Job, store: Store) -> Iterator[None]:
    token = _CURRENT.set(RunningJob(job, store))
    try:
        yield
    finally:
        _CURRENT.reset(token)


def run_job(job: Job, store: Store, listeners: Listeners = Listeners()) -> Finished | Failed:
    """Run one job: every error is the job's outcome, never the consumer's end (DieError asks it to stop)."""
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    clock = time.perf_counter()
    error: BaseException | None = None
    metadata = None
    die = False
    try:
        with _running(job, store):
            callback = registry.get(job.callback_name)
            listeners.run_before(job)
            result = callback.func(**job.parameters)
            listeners.run_after(job, result)
    except SkipJob as exc:
        metadata = orjson.dumps({"skipped": str(exc)}).decode()
    except DieError as exc:
        error, die = exc.error, True
    except Exception as exc:
        error = exc
    ms = int((time.perf_counter() - clock) * 1000)
    # Peak resident memory of the consumer process (kB) before and after: cheap enough for every job, and what
    # shows a job that needs more memory than its neighbours.
    peak_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    memory = f'{{"peak_rss_kb_before": {peak_before}, "peak_rss_kb": {peak_after}}}'
    if error is None:
        return Finished(job.id, ms, memory, metadata, job.claim_id, job.batch_id)
    return Failed(job, error, ms, memory, die)
