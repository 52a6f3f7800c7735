"""The job queue's value types: a job to publish (:class:`NewJob`), a claimed one (:class:`Job`), and the rules
every role shares (JSON-only parameters, the retry backoff)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import orjson

from roster.jobs.outcome_errors import JobParametersError
from roster.jobs.states import State
from roster.jobs.store import ts

MAX_BACKOFF_MINUTES = 16
_STRICT_JSON = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS


def backoff(attempts: int) -> timedelta:
    """Delay before retrying after the n-th failed attempt: min(16, 2^(n-1)) minutes."""
    return timedelta(minutes=min(MAX_BACKOFF_MINUTES, 2 ** max(0, attempts - 1)))


def dumps_parameters(parameters: Any) -> str:
    """Parameters as JSON text; anything JSON cannot hold is refused (never pickled)."""
    return parameters_json(parameters_object(parameters)).decode()


def parameters_object(parameters: Any) -> dict[str, Any]:
    """``parameters`` if it is a dict (``{}`` for ``None``): a job's parameters are its callback's keyword arguments."""
    if parameters is None:
        return {}
    if not isinstance(parameters, dict):
        raise JobParametersError(f"job parameters must be a JSON object (a dict), got {type(parameters).__name__}")
    return parameters


def parameters_json(parameters: dict[str, Any]) -> bytes:
    """The one JSON dump of a job's parameters: its length is the size limit's, its text is what is stored.
    NaN and infinities come out as ``null`` (see :func:`roster.jobs.limits.parameters`)."""
    try:
        # orjson would write datetimes and dataclasses as strings and objects that do not read back as what was
        # given: pass them through (with no default) so they are refused like any other non-JSON value.
        return orjson.dumps(parameters, option=_STRICT_JSON)
    except TypeError as exc:
        raise JobParametersError(f"job parameters must be JSON (str, int, float, bool, None, list, dict): {exc}") from None


PLAIN_ROW = 7  # the elements of a plain job's bulk_row (the flow fields follow only when one is set)


class NewJob(NamedTuple):
    """A job to publish, checked and resolved (queue, priority, UTC available_at); ``parameters`` is JSON text.
    Immutable once checked; a named tuple, which a bulk publish makes in a fraction of a frozen dataclass's time."""

    queue: str
    priority: int
    callback_name: str
    parameters: str
    available_at: datetime | None = None
    serial_group: str | None = None
    identifier: str | None = None
    unique: bool = False
    concurrency_key: str | None = None
    concurrency_limit: int | None = None
    rate_key: str | None = None
    rate_limit: str | None = None  # "100/60s"
    batch_id: int | None = None
    unique_for: float | None = None  # seconds: unique by period (with unique_states)
    unique_states: tuple[int, ...] | None = None  # unique by state: no twin in these states (within unique_for)

    @property
    def unique_key(self) -> str | None:
        return f"{self.queue}\x1f{self.identifier}" if self.unique else None

    @property
    def inserted_alone(self) -> bool:
        """Unique jobs race on their own insert: never many rows per statement."""
        return self.unique or self.unique_states is not None

    def insert_params(self, now: str) -> dict[str, Any]:
        """The parameters of the ``insert`` statements, stamped ``now``."""
        return {
            "queue": self.queue, "priority": self.priority, "callback_name": self.callback_name,
            "parameters": self.parameters, "state": int(State.READY), "created_at": now,
            "available_at": ts(self.available_at) if self.available_at else now,
            "serial_group": self.serial_group, "identifier": self.identifier, "unique_key": self.unique_key,
            "updated_at": now, "concurrency_key": self.concurrency_key, "concurrency_limit": self.concurrency_limit,
            "rate_key": self.rate_key, "rate_limit": self.rate_limit, "batch_id": self.batch_id,
        }  # fmt: skip

    def bulk_row(self) -> list[Any]:
        """One element of ``insert_many``'s JSON rows (the statement stamps the times); the flow-control and batch
        fields only when one is set (a missing element reads as NULL), so plain jobs' rows stay short."""
        available_at = ts(self.available_at) if self.available_at else None
        row = [self.queue, self.priority, self.callback_name, self.parameters, available_at, self.serial_group,
               self.identifier]  # fmt: skip
        flow = (self.concurrency_key, self.concurrency_limit, self.rate_key, self.rate_limit, self.batch_id)
        return row + list(flow) if flow != (None, None, None, None, None) else row


@dataclass(frozen=True)
class Job:
    """A claimed job, as its callback's runner sees it."""

    id: int
    callback_name: str
    parameters: dict[str, Any]
    number_of_attempts: int
    priority: int
    serial_group: str | None
    identifier: str | None
    claim_id: int = 0  # the claim's identity: every write of the consumer for this job matches it
    batch_id: int | None = None  # its batch (roster.jobs.batches), checked for completion once the job ended

    @classmethod
    def from_row(cls, row: tuple, claim_id: int = 0) -> Job:
        """From a ``claim_lock`` row (its attempt count is before the claim's), claimed under ``claim_id``."""
        return cls(id=row[0], callback_name=row[1], parameters=orjson.loads(row[2]), number_of_attempts=row[3] + 1,
                   priority=row[4], serial_group=row[5], identifier=row[6], claim_id=claim_id,
                   batch_id=row[7])  # fmt: skip
