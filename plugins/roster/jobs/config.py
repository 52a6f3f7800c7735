"""What a consumer run is given, built once by :class:`~roster.jobs.job_queue.JobQueue` and never read back from it:
the queue's settings (:class:`ConsumerConfig`), the hooks around each job (:class:`Listeners`) and the one time
budget of a run (:class:`Deadline`) and when else it stops (:class:`Limits`), which the operator, the broker's delivered-jobs loop, the consumer and its
database connection all measure against."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from roster.jobs.limits import MAX_DELAY_SECONDS, number, whole

if TYPE_CHECKING:
    from roster.jobs.model import Job

log = logging.getLogger("roster.jobs")


@dataclass(frozen=True)
class Deadline:
    """A point in ``time.monotonic()``, or none (no limit)."""

    at: float | None = None

    @classmethod
    def after(cls, seconds: float | None) -> Deadline:
        return cls(None if seconds is None else time.monotonic() + seconds)

    def left(self) -> float | None:
        """Seconds left (never negative), or None without a limit."""
        return None if self.at is None else max(0.0, self.at - time.monotonic())

    def passed(self) -> bool:
        return self.at is not None and time.monotonic() >= self.at

    def earliest(self, other: Deadline) -> Deadline:
        """The sooner of the two."""
        if self.at is None or other.at is None:
            return self if other.at is None else other
        return self if self.at <= other.at else other


@dataclass(frozen=True)
class Listeners:
    """Called around each job: ``before(job)``, ``after(job, result)``, ``error(job, exc)`` for a failure (not a
    WAITING job), ``notify(job, exc)`` once a job failed ``notify_on_attempts`` times. A listener that raises in
    ``error``/``notify`` is logged; in ``before``/``after`` it fails the job, as its callback would."""

    before: tuple[Callable[[Job], None], ...] = ()
    after: tuple[Callable[[Job, Any], None], ...] = ()
    error: tuple[Callable[[Job, BaseException], None], ...] = ()
    notify: tuple[Callable[[Job, BaseException], None], ...] = ()

    def with_(self, **extra: Sequence[Callable] | Callable | None) -> Listeners:
        """These listeners and ``extra`` ones (a callable, a sequence of them, or None), theirs last."""
        added = {}
        for name, value in extra.items():
            more = () if value is None else tuple(value) if isinstance(value, (list, tuple)) else (value,)
            added[name] = getattr(self, name) + more
        return Listeners(**{**self.__dict__, **added})

    def run_before(self, job: Job) -> None:
        for listener in self.before:
            listener(job)

    def run_after(self, job: Job, result: Any) -> None:
        for listener in self.after:
            listener(job, result)

    def tell(self, kind: str, job: Job, error: BaseException) -> None:
        """The ``error`` or ``notify`` listeners; one that raises is logged, the others still run."""
        for listener in getattr(self, kind):
            try:
                listener(job, error)
            except Exception:
                log.exception("on_%s hook failed for job %d", kind, job.id)


@dataclass(frozen=True)
class ConsumerConfig:
    """A queue's settings for a consumer run."""

    queue: str
    lease_seconds: int
    max_attempts: int
    notify_on_attempts: int
    waiting_seconds: float
    listeners: Listeners = field(default_factory=Listeners)


@dataclass(frozen=True)
class Limits:
    """When a run stops besides an empty lane: jobs claimed, seconds, resident MB; ``idle_wait``: seconds an
    empty lane is watched for new jobs first."""

    limit: int | None = None
    time_limit: float | None = None
    memory_limit: float | None = None
    idle_wait: float = 0.0

    def __post_init__(self) -> None:
        """Each limit ``None`` (no limit) or a finite number from 0, refused naming the field otherwise: a NaN or
        an infinity would silently disable the limit, a negative one stop the run at once."""
        if self.limit is not None:
            whole("limit", self.limit, low=0, high=sys.maxsize)
        if self.time_limit is not None:
            number("time_limit", self.time_limit, high=MAX_DELAY_SECONDS)
        if self.memory_limit is not None:
            number("memory_limit", self.memory_limit)
        number("idle_wait", self.idle_wait, high=MAX_DELAY_SECONDS)
