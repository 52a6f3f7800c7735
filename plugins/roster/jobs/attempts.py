"""A failed attempt as the job's story keeps it (``background_job_attempt``): when it ran, how long, its memory,
its outcome, the error with its traceback, and who ran it (pid, host, worker: the Airflow task instance)."""

from __future__ import annotations

import os
import socket
import traceback
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from roster.jobs.store import Tx, ts

if TYPE_CHECKING:
    from roster.jobs.outcomes import Failed
    from roster.jobs.states import State

TRACEBACK_MAX = 60_000  # characters kept of a traceback (the innermost frames, at the end, are kept)


def formatted(error: BaseException) -> str:
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return text if len(text) <= TRACEBACK_MAX else "…" + text[-TRACEBACK_MAX:]


def record_failure(tx: Tx, failed: Failed, state: State, now: datetime, worker: str | None) -> None:
    """Write the attempt ``failed`` came to (``state``), in the transaction of its outcome."""
    job = failed.job
    tx.run("attempt_insert", job_id=job.id, attempt=job.number_of_attempts, claim_id=job.claim_id, state=int(state),
           started_at=ts(now - timedelta(milliseconds=failed.ms)), finished_at=ts(now), ms=failed.ms,
           memory=failed.memory, error=failed.message, traceback=formatted(failed.error), pid=os.getpid(),
           hostname=socket.gethostname()[:255], worker=(worker or "")[:255] or None)  # fmt: skip
