"""roster.jobs: a database-backed background job queue (the ``background_job`` table), usable without Airflow."""

from __future__ import annotations

from roster.jobs.outcome_errors import DieError, PermanentError, SkipJob, UnknownCallbackError, WaitingError
from roster.jobs.job_queue import Job, JobQueue
from roster.jobs.registry import job
from roster.jobs.runner import current_job
from roster.jobs.states import State

__all__ = [
    "DieError", "Job", "JobQueue", "PermanentError", "SkipJob", "State", "UnknownCallbackError", "WaitingError",
    "current_job", "job",
]  # fmt: skip
