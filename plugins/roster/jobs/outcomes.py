"""What running a job came to (:class:`Finished`, :class:`Failed`), as values returned by the runner and written
by the consumer, and what a consumer run did (:class:`ProcessSummary`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from roster.jobs.outcome_errors import PermanentError, WaitingError
from roster.jobs.model import Job, backoff
from roster.jobs.states import State

MAX_ERRORS_KEPT = 10


@dataclass(frozen=True)
class Finished:
    """A job that returned (or raised SkipJob: ``metadata`` says so); recorded in batches."""

    job_id: int
    ms: int
    memory: str
    metadata: str | None = None
    claim_id: int = 0
    batch_id: int | None = None

    def row(self) -> list[Any]:
        """One element of the ``finish`` statement's JSON rows."""
        return [self.job_id, self.claim_id, self.ms, self.memory, self.metadata]


@dataclass(frozen=True)
class Failed:
    """A job that raised; ``die``: the consumer stops after it (DieError)."""

    job: Job
    error: BaseException
    ms: int
    memory: str
    die: bool = False

    @property
    def message(self) -> str:
        return f"{type(self.error).__name__}: {self.error}"[:65000]

    def next_state(self, now: datetime, waiting_seconds: float, max_attempts: int) -> tuple[State, datetime, int]:
        """(state, available_at, attempts to give back): PermanentError for good, WaitingError later without
        counting the attempt, anything else after the backoff, or for good once it used ``max_attempts``."""
        if isinstance(self.error, PermanentError) or (
            not isinstance(self.error, WaitingError) and self.job.number_of_attempts >= max_attempts
        ):
            return State.PERMANENTLY_FAILED, now, 0
        if isinstance(self.error, WaitingError):
            return State.WAITING, now + timedelta(seconds=waiting_seconds), 1
        return State.TEMPORARILY_FAILED, now + backoff(self.job.number_of_attempts), 0


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
    superseded: int = 0  # outcomes discarded: the job was rescued (and perhaps claimed again) meanwhile
    stopped_by: str = "empty"
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    # The jobs failed for good ({"id", "callback", "lane", "error"}): what the DAGs' outcomes task reports.
    failed_for_good: list[dict[str, Any]] = field(default_factory=list)

    def count_failure(self, failed: Failed, state: State, lane: str = "") -> None:
        counter = {State.PERMANENTLY_FAILED: "permanently_failed", State.WAITING: "waiting",
                   State.TEMPORARILY_FAILED: "temporarily_failed"}[state]  # fmt: skip
        setattr(self, counter, getattr(self, counter) + 1)
        if state is not State.WAITING and len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(f"job {failed.job.id} ({failed.job.callback_name}): {failed.message[:300]}")
        if state is State.PERMANENTLY_FAILED and len(self.failed_for_good) < MAX_ERRORS_KEPT:
            self.failed_for_good.append({"id": failed.job.id, "callback": failed.job.callback_name, "lane": lane,
                                         "error": failed.message[:300]})  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["seconds"] = round(self.seconds, 3)
        return data
